//! Direct messages between members: who may write to whom, and what a
//! message may say. Only members who follow each other may exchange
//! messages; either side can turn messages off, and a block (either way)
//! stops them. The rules are pure: the embedder looks up the follows, the
//! settings and the blocks, and stores the messages.

use crate::error::{Error, Result};

/// Longest message, in characters.
pub const MAX_MESSAGE_CHARS: usize = 1000;

/// Messages one member may send in a minute.
pub const MESSAGES_PER_MINUTE: u32 = 10;

/// What is known about a sender and a recipient when a message is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MessageContext {
    /// The sender is suspended or banned (may read, not act).
    pub sender_restricted: bool,
    /// The sender writes to themself.
    pub same_member: bool,
    /// The sender follows the recipient.
    pub sender_follows: bool,
    /// The recipient follows the sender.
    pub recipient_follows: bool,
    /// The sender has messages on.
    pub sender_accepts: bool,
    /// The recipient has messages on.
    pub recipient_accepts: bool,
    /// Either has blocked the other.
    pub blocked: bool,
}

/// Why a message may not be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageRefusal {
    /// The sender is suspended or banned.
    Restricted,
    /// Writing to oneself.
    ToSelf,
    /// One of them blocked the other.
    Blocked,
    /// They do not follow each other.
    NotMutual,
    /// The recipient turned messages off.
    RecipientTurnedOff,
    /// The sender turned messages off (turn them on to write).
    SenderTurnedOff,
}

impl MessageRefusal {
    /// The reason in words, for the sender.
    pub fn reason(self) -> &'static str {
        match self {
            Self::Restricted => "your account is suspended or banned: you may read but not write",
            Self::ToSelf => "you cannot send a message to yourself",
            Self::Blocked => "messages between you and this member are blocked",
            Self::NotMutual => "messages are only between members who follow each other",
            Self::RecipientTurnedOff => "this member does not take messages",
            Self::SenderTurnedOff => "turn your messages on to write to other members",
        }
    }
}

impl MessageContext {
    /// May the sender write to the recipient? The first reason that stops
    /// it, blocks first (a block is never hidden behind another reason).
    pub fn check(&self) -> std::result::Result<(), MessageRefusal> {
        if self.sender_restricted {
            return Err(MessageRefusal::Restricted);
        }
        if self.same_member {
            return Err(MessageRefusal::ToSelf);
        }
        if self.blocked {
            return Err(MessageRefusal::Blocked);
        }
        if !(self.sender_follows && self.recipient_follows) {
            return Err(MessageRefusal::NotMutual);
        }
        if !self.recipient_accepts {
            return Err(MessageRefusal::RecipientTurnedOff);
        }
        if !self.sender_accepts {
            return Err(MessageRefusal::SenderTurnedOff);
        }
        Ok(())
    }
}

/// A message's text, checked: trimmed, not empty, at most
/// [`MAX_MESSAGE_CHARS`] characters, without control characters other than
/// line breaks and tabs.
///
/// # Errors
/// [`Error::Empty`] or [`Error::TooLong`], or [`Error::InvalidInput`] on
/// `text` for control characters.
pub fn message_text(text: &str) -> Result<String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::Empty { field: "text" });
    }
    let got = text.chars().count();
    if got > MAX_MESSAGE_CHARS {
        return Err(Error::TooLong {
            got,
            max: MAX_MESSAGE_CHARS,
        });
    }
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\t' | '\r'))
    {
        return Err(Error::invalid("text", "contains control characters"));
    }
    Ok(text.replace("\r\n", "\n"))
}

/// Feedback one member may send the moderators in an hour.
pub const FEEDBACK_PER_HOUR: u32 = 5;

/// What feedback to the moderators is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedbackCategory {
    /// Someone's safety or a breach of the guidelines.
    Safety,
    /// Something that does not work.
    Bug,
    /// A suggestion.
    Idea,
    /// Anything else.
    Other,
}

impl FeedbackCategory {
    /// Every category.
    pub const ALL: [Self; 4] = [Self::Safety, Self::Bug, Self::Idea, Self::Other];

    /// `safety`, `bug`, `idea` or `other`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Safety => "safety",
            Self::Bug => "bug",
            Self::Idea => "idea",
            Self::Other => "other",
        }
    }

    /// Parses a category.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] on `category`, naming the choices.
    pub fn parse(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == s.trim())
            .ok_or_else(|| {
                Error::invalid(
                    "category",
                    format!("{s:?} is not one of safety, bug, idea, other"),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mutual() -> MessageContext {
        MessageContext {
            sender_restricted: false,
            same_member: false,
            sender_follows: true,
            recipient_follows: true,
            sender_accepts: true,
            recipient_accepts: true,
            blocked: false,
        }
    }

    #[test]
    fn only_mutual_follows_with_messages_on_and_no_block() {
        assert_eq!(mutual().check(), Ok(()));
        let one_way = MessageContext {
            recipient_follows: false,
            ..mutual()
        };
        assert_eq!(one_way.check(), Err(MessageRefusal::NotMutual));
        let other_way = MessageContext {
            sender_follows: false,
            ..mutual()
        };
        assert_eq!(other_way.check(), Err(MessageRefusal::NotMutual));
        let off = MessageContext {
            recipient_accepts: false,
            ..mutual()
        };
        assert_eq!(off.check(), Err(MessageRefusal::RecipientTurnedOff));
        let mine_off = MessageContext {
            sender_accepts: false,
            ..mutual()
        };
        assert_eq!(mine_off.check(), Err(MessageRefusal::SenderTurnedOff));
        // A block wins over every other reason.
        let blocked = MessageContext {
            blocked: true,
            recipient_follows: false,
            recipient_accepts: false,
            ..mutual()
        };
        assert_eq!(blocked.check(), Err(MessageRefusal::Blocked));
        let me = MessageContext {
            same_member: true,
            ..mutual()
        };
        assert_eq!(me.check(), Err(MessageRefusal::ToSelf));
        let banned = MessageContext {
            sender_restricted: true,
            blocked: true,
            ..mutual()
        };
        assert_eq!(banned.check(), Err(MessageRefusal::Restricted));
    }

    #[test]
    fn feedback_categories_parse() {
        for c in FeedbackCategory::ALL {
            assert_eq!(FeedbackCategory::parse(c.as_str()).unwrap(), c);
        }
        assert_eq!(
            FeedbackCategory::parse("spam").unwrap_err().field(),
            Some("category")
        );
    }

    #[test]
    fn message_texts_are_checked() {
        assert_eq!(
            message_text("  hi there \r\nbye ").unwrap(),
            "hi there \nbye"
        );
        assert!(matches!(message_text(" \n "), Err(Error::Empty { .. })));
        let long = "x".repeat(MAX_MESSAGE_CHARS + 1);
        assert!(matches!(message_text(&long), Err(Error::TooLong { .. })));
        assert!(message_text(&"é".repeat(MAX_MESSAGE_CHARS)).is_ok());
        let bell = message_text("ding\u{7}").unwrap_err();
        assert_eq!(bell.field(), Some("text"));
    }
}
