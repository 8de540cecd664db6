//! Identities, settings, posting and reactions.

use std::collections::HashSet;

use auravest_core::{Decimal, Symbol};
use chrono::{DateTime, TimeDelta, Utc};

use super::Community;
use crate::alias::Alias;
use crate::error::Entity;
use crate::ids::{PostId, UserId};
use crate::model::{Draft, NewPost, NewUser, PeriodReturn, Post, PostStatus, PrivacySettings};
use crate::moderation::{Permission, Role, SpamRule, claims_gain, repeat_key};
use crate::notification::NotificationKind;
use crate::performance::{PerformanceShare, Period, checked_percent};
use crate::store::{Level, Order, PostQuery, Scope, Store};
use crate::text;
use crate::views::{Author, Member, MemberExport, OwnProfile, PostView, ProfileView};
use crate::wealth::wealth_warnings;
use crate::{Error, Result};

/// Whether `text` contains `alias` as a word (without case), so an
/// anonymous post cannot sign itself.
fn names_alias(text: &str, alias: &str) -> bool {
    let lower = text.to_lowercase();
    let alias = alias.to_lowercase();
    let is_alias_char = |c: char| c.is_ascii_alphanumeric() || c == '_';
    lower.match_indices(&alias).any(|(i, m)| {
        !lower[..i].chars().next_back().is_some_and(is_alias_char)
            && !lower[i + m.len()..]
                .chars()
                .next()
                .is_some_and(is_alias_char)
    })
}

/// Default-alias attempts: (digits, letters, tries). The space grows from
/// 9 000 four-digit names to billions with letters, so a draw always succeeds
/// in practice; the store's uniqueness check settles races.
const ALIAS_TIERS: &[(u32, u32, u32)] = &[
    (4, 0, 32),
    (5, 0, 32),
    (6, 0, 32),
    (6, 1, 32),
    (6, 2, 32),
    (6, 3, 32),
    (6, 4, 64),
];

impl<S: Store> Community<S> {
    /// Registers a member with a random default alias (`Investor4821`), role `user`.
    ///
    /// # Errors
    /// [`Error::AliasSpaceExhausted`] if no free alias was drawn; store errors.
    pub async fn register(
        &mut self,
        now: DateTime<Utc>,
        rng: &mut impl FnMut() -> u64,
    ) -> Result<UserId> {
        self.register_with_role(Role::User, now, rng).await
    }

    /// Registers a member with a role. Only the deployment calls this with a
    /// role above `user` (to create the first admin); admins then use
    /// [`Community::assign_role`], which is audited.
    ///
    /// # Errors
    /// As [`Community::register`].
    pub async fn register_with_role(
        &mut self,
        role: Role,
        now: DateTime<Utc>,
        rng: &mut impl FnMut() -> u64,
    ) -> Result<UserId> {
        for &(digits, letters, tries) in ALIAS_TIERS {
            for _ in 0..tries {
                let Ok(alias) = self.config.alias.random_default(rng, digits, letters) else {
                    continue;
                };
                if self.store.user_by_alias(alias.as_str()).await?.is_some() {
                    continue;
                }
                match self
                    .store
                    .insert_user(NewUser {
                        alias,
                        role,
                        joined_at: now,
                    })
                    .await
                {
                    Ok(user) => return Ok(user.id),
                    Err(Error::AliasTaken { .. }) => continue,
                    Err(other) => return Err(other),
                }
            }
        }
        Err(Error::AliasSpaceExhausted)
    }

    /// Changes a member's alias, once per [`crate::AliasPolicy::change_cooldown`].
    ///
    /// # Errors
    /// [`Error::InvalidAlias`] for an alias that breaks a rule;
    /// [`Error::AliasTaken`]; [`Error::RateLimited`] within the cooldown;
    /// [`Error::AccountRestricted`] while suspended or banned;
    /// [`Error::NotFound`] for an unknown member.
    pub async fn change_alias(
        &mut self,
        user: UserId,
        alias: &str,
        now: DateTime<Utc>,
    ) -> Result<Alias> {
        let mut record = self.actor(user, now, Permission::Post).await?;
        if let Some(last) = record.alias_changed_at {
            let ready = last + self.config.alias.change_cooldown;
            if ready > now {
                return Err(Error::RateLimited {
                    retry_after: ready - now,
                    limit: 1,
                    window: "alias change",
                });
            }
        }
        let alias = self.config.alias.check_choice(alias)?;
        if let Some(other) = self.store.user_by_alias(alias.as_str()).await?
            && other.id != user
        {
            return Err(Error::AliasTaken {
                alias: alias.to_string(),
            });
        }
        record.alias = alias.clone();
        record.alias_changed_at = Some(now);
        self.store.update_user(&record).await?;
        Ok(alias)
    }

    /// A member's privacy settings.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown member.
    pub async fn settings(&self, user: UserId) -> Result<PrivacySettings> {
        Ok(self.user_required(user).await?.settings)
    }

    /// Replaces a member's privacy settings.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown member.
    pub async fn update_settings(&mut self, user: UserId, settings: PrivacySettings) -> Result<()> {
        let mut record = self.user_required(user).await?;
        record.settings = settings;
        self.store.update_user(&record).await
    }

    /// Sets the tickers a member holds (duplicates dropped). No amounts: the
    /// community never needs them. Only the member can read them back.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown member.
    pub async fn set_holdings(&mut self, user: UserId, symbols: &[Symbol]) -> Result<()> {
        let mut record = self.user_required(user).await?;
        let mut holdings = symbols.to_vec();
        holdings.sort();
        holdings.dedup();
        record.holdings = holdings;
        self.store.update_user(&record).await
    }

    /// The member's own holdings. There is no way to read another member's.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown member.
    pub async fn holdings(&self, user: UserId) -> Result<Vec<Symbol>> {
        Ok(self.user_required(user).await?.holdings)
    }

    /// Records a member's percentage return for a period (replacing an
    /// earlier figure for the same period). Shown only with `share_performance`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an invalid period or a return outside
    /// −100%..=9 900%; [`Error::NotFound`] for an unknown member.
    pub async fn record_return(
        &mut self,
        user: UserId,
        period: Period,
        return_pct: Decimal,
    ) -> Result<()> {
        let period = period.validate()?;
        let return_pct = checked_percent(return_pct)?;
        let mut record = self.user_required(user).await?;
        record.returns.retain(|r| r.period != period);
        record.returns.push(PeriodReturn { period, return_pct });
        record.returns.sort_by_key(|r| r.period);
        self.store.update_user(&record).await
    }

    /// A member's profile as `viewer` sees it.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown member.
    pub async fn profile(&self, viewer: Option<UserId>, user: UserId) -> Result<ProfileView> {
        let record = self.user_required(user).await?;
        let own = viewer == Some(user);
        let mut posts = PostQuery::new(Scope::Authors(vec![user]));
        posts.level = Level::TopLevel;
        posts.visible_only = true;
        posts.include_anonymous = false;
        let followers = self.store.followers(user).await?;
        Ok(ProfileView {
            member: Member {
                id: user,
                alias: record.alias.to_string(),
            },
            role: record.role,
            joined_at: record.joined_at,
            followers: followers.len(),
            following: self.store.following(user).await?.len(),
            posts: self.store.query_posts(&posts).await?.len(),
            performance: record
                .settings
                .share_performance
                .then(|| record.returns.clone()),
            followed_by_viewer: viewer.is_some_and(|v| followers.contains(&v)),
            own: own.then(|| OwnProfile {
                settings: record.settings,
                holdings: record.holdings.clone(),
                returns: record.returns.clone(),
                warnings: record.warnings,
            }),
        })
    }

    /// A profile by alias (compared without case).
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown alias.
    pub async fn profile_by_alias(
        &self,
        viewer: Option<UserId>,
        alias: &str,
    ) -> Result<ProfileView> {
        let user = self
            .store
            .user_by_alias(alias)
            .await?
            .ok_or_else(|| Error::not_found(Entity::User, alias))?;
        self.profile(viewer, user.id).await
    }

    /// Publishes a top-level post.
    ///
    /// The checks, in order: the member may post; the text is not blank and
    /// at most [`crate::Config::max_post_chars`]; money amounts are confirmed
    /// ([`Draft::confirm_amounts`]); an anonymous text does not name its
    /// author's alias; the rate limits; the spam rules. Mentioned members are
    /// notified.
    ///
    /// # Errors
    /// [`Error::AccountRestricted`], [`Error::Empty`], [`Error::TooLong`],
    /// [`Error::WealthDisclosure`], [`Error::InvalidInput`] (an anonymous text
    /// naming its author), [`Error::RateLimited`], [`Error::Spam`],
    /// [`Error::NotFound`] for an unknown member.
    pub async fn post(
        &mut self,
        author: UserId,
        draft: Draft,
        now: DateTime<Utc>,
    ) -> Result<PostId> {
        self.publish(author, draft, None, None, now).await
    }

    /// Comments on a post, or replies to a comment (`on` is then the comment).
    /// A comment in your own anonymous thread, or a reply to your own
    /// anonymous comment, is anonymous too. The thread's author and the
    /// comment replied to are notified.
    ///
    /// # Errors
    /// As [`Community::post`], with [`crate::Config::max_comment_chars`];
    /// [`Error::NotFound`] when `on` is not a visible post.
    pub async fn comment(
        &mut self,
        author: UserId,
        on: PostId,
        draft: Draft,
        now: DateTime<Utc>,
    ) -> Result<PostId> {
        self.publish(author, draft, Some(on), None, now).await
    }

    /// Posts a performance share (`+3.2% in July 2024 with a Moderate risk
    /// portfolio`). Under the alias it needs `share_performance` on; an
    /// anonymous share does not, but is refused when the same figure for the
    /// same period is on the member's public profile, where it would point at them.
    ///
    /// # Errors
    /// [`Error::PerformanceSharingOff`]; [`Error::InvalidInput`] on field
    /// `anonymous` for a figure shown on the profile; as [`Community::post`].
    pub async fn share_performance(
        &mut self,
        author: UserId,
        share: &PerformanceShare,
        anonymous: bool,
        now: DateTime<Utc>,
    ) -> Result<PostId> {
        let share = PerformanceShare::new(share.period, share.return_pct, share.risk)?;
        let user = self.user_required(author).await?;
        let on_profile = user.settings.share_performance
            && user
                .returns
                .iter()
                .any(|r| r.period == share.period && r.return_pct == share.return_pct);
        if !anonymous && !user.settings.share_performance {
            return Err(Error::PerformanceSharingOff);
        }
        if anonymous && on_profile {
            return Err(Error::invalid(
                "anonymous",
                "this figure is on your public profile; an anonymous share would point at you",
            ));
        }
        let draft = Draft {
            text: share.text(),
            sentiment: None,
            anonymous,
            confirm_amounts: false,
        };
        self.publish(author, draft, None, Some(share), now).await
    }

    async fn publish(
        &mut self,
        author: UserId,
        draft: Draft,
        on: Option<PostId>,
        performance: Option<PerformanceShare>,
        now: DateTime<Utc>,
    ) -> Result<PostId> {
        let user = self.actor(author, now, Permission::Post).await?;
        if draft.text.trim().is_empty() {
            return Err(Error::Empty { field: "text" });
        }
        let max = if on.is_some() {
            self.config.max_comment_chars
        } else {
            self.config.max_post_chars
        };
        let got = draft.text.chars().count();
        if got > max {
            return Err(Error::TooLong { max, got });
        }
        // The thread: a comment on a post, or a reply to a comment of a visible post.
        let (root, replied) = match on {
            None => (None, None),
            Some(id) => {
                let target = self.visible_post(id).await?;
                match target.thread {
                    None => (Some(target), None),
                    Some(root) => (Some(self.visible_post(root).await?), Some(target)),
                }
            }
        };
        if !draft.confirm_amounts {
            let warnings = wealth_warnings(&draft.text);
            if !warnings.is_empty() {
                return Err(Error::WealthDisclosure { warnings });
            }
        }
        let own_anonymous = |p: &Option<Post>| {
            p.as_ref()
                .is_some_and(|p| p.anonymous && p.author == author)
        };
        let anonymous = draft.anonymous || own_anonymous(&root) || own_anonymous(&replied);
        if anonymous && names_alias(&draft.text, user.alias.as_str()) {
            return Err(Error::invalid(
                "text",
                "an anonymous post must not name its author",
            ));
        }
        self.check_rate(author, now).await?;
        let entities = text::entities(&draft.text);
        let symbols = entities.symbols();
        self.check_spam(user.id, &draft.text, &symbols, now).await?;

        let mut mentions = Vec::new();
        for alias in entities.aliases() {
            if let Some(member) = self.store.user_by_alias(&alias).await?
                && member.id != author
                && !mentions.contains(&member.id)
            {
                mentions.push(member.id);
            }
        }
        let post = self
            .store
            .insert_post(NewPost {
                author,
                anonymous,
                thread: root.as_ref().map(|r| r.id),
                reply_to: replied.as_ref().map(|c| c.id),
                text: draft.text,
                sentiment: draft.sentiment,
                cashtags: symbols,
                mentions: mentions.clone(),
                links: entities.links.into_iter().map(|l| l.url).collect(),
                performance,
                created_at: now,
            })
            .await?;

        // One notification per member: a reply beats a comment beats a mention.
        let actor = (!anonymous).then_some(author);
        let mut notified = HashSet::from([author]);
        if let (Some(root), Some(replied)) = (&root, &replied)
            && notified.insert(replied.author)
        {
            let kind = NotificationKind::Reply {
                thread: root.id,
                to: replied.id,
                reply: post.id,
            };
            self.notify(replied.author, kind, actor, now).await?;
        }
        if let Some(root) = &root
            && notified.insert(root.author)
        {
            let kind = NotificationKind::Comment {
                post: root.id,
                comment: post.id,
            };
            self.notify(root.author, kind, actor, now).await?;
        }
        for member in mentions {
            if notified.insert(member) {
                self.notify(
                    member,
                    NotificationKind::Mention { post: post.id },
                    actor,
                    now,
                )
                .await?;
            }
        }
        Ok(post.id)
    }

    /// Posts per minute and per day, counting posts and comments in any state.
    async fn check_rate(&self, author: UserId, now: DateTime<Utc>) -> Result<()> {
        let limits = [
            (
                self.config.posts_per_minute,
                TimeDelta::minutes(1),
                "minute",
            ),
            (self.config.posts_per_day, TimeDelta::days(1), "day"),
        ];
        for (limit, window, name) in limits {
            let mut query = PostQuery::new(Scope::Authors(vec![author]));
            query.since = Some(now - window + TimeDelta::nanoseconds(1));
            query.order = Order::OldestFirst;
            let recent = self.store.query_posts(&query).await?;
            let limit_usize = usize::try_from(limit).unwrap_or(usize::MAX);
            if recent.len() >= limit_usize {
                // Allowed again once the oldest post that keeps the count at the limit leaves the window.
                let retry_after = recent
                    .len()
                    .checked_sub(limit_usize.max(1))
                    .map_or(window, |i| recent[i].created_at + window - now);
                return Err(Error::RateLimited {
                    retry_after: retry_after.max(TimeDelta::seconds(1)),
                    limit,
                    window: name,
                });
            }
        }
        Ok(())
    }

    async fn check_spam(
        &self,
        author: UserId,
        text: &str,
        symbols: &[Symbol],
        now: DateTime<Utc>,
    ) -> Result<()> {
        if symbols.len() > self.config.max_cashtags {
            return Err(Error::Spam {
                rule: SpamRule::CashtagStuffing {
                    count: symbols.len(),
                    max: self.config.max_cashtags,
                },
            });
        }
        let key = repeat_key(text);
        if !key.is_empty() {
            let mut query = PostQuery::new(Scope::Authors(vec![author]));
            query.since = Some(now - self.config.repeat_window);
            if let Some(previous) = self
                .store
                .query_posts(&query)
                .await?
                .iter()
                .find(|p| repeat_key(&p.text) == key)
            {
                return Err(Error::Spam {
                    rule: SpamRule::RepeatedText {
                        previous: previous.id,
                    },
                });
            }
        }
        if !symbols.is_empty() && claims_gain(text) {
            let mut query = PostQuery::new(Scope::Authors(vec![author]));
            query.visible_only = true;
            query.since = Some(now - self.config.gain_lookback);
            query.until = Some(now - TimeDelta::nanoseconds(1));
            let earlier = self.store.query_posts(&query).await?;
            if let Some(symbol) = symbols
                .iter()
                .find(|s| !earlier.iter().any(|p| p.cashtags.contains(s)))
            {
                return Err(Error::Spam {
                    rule: SpamRule::UnsharedGain {
                        symbol: symbol.clone(),
                    },
                });
            }
        }
        Ok(())
    }

    /// Deletes the author's own post. Works while suspended.
    ///
    /// # Errors
    /// [`Error::NotFound`] when the post does not exist, is already deleted,
    /// or is not the caller's.
    pub async fn delete_post(&mut self, author: UserId, post: PostId) -> Result<()> {
        let mut record = self.post_required(post).await?;
        if record.author != author || record.status == PostStatus::Deleted {
            return Err(Error::not_found(Entity::Post, post));
        }
        record.status = PostStatus::Deleted;
        self.store.update_post(&record).await
    }

    /// Marks (or unmarks) a comment helpful: only the thread's author may,
    /// and not on their own comment. Helpful comments count as answers on the
    /// contributors leaderboard.
    ///
    /// # Errors
    /// [`Error::NotFound`] for a missing or invisible comment;
    /// [`Error::InvalidInput`] for a top-level post or a thread that is not the
    /// caller's; [`Error::SelfAction`] on one's own comment.
    pub async fn mark_helpful(
        &mut self,
        user: UserId,
        comment: PostId,
        helpful: bool,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.actor(user, now, Permission::Post).await?;
        let mut record = self.visible_post(comment).await?;
        let Some(thread) = record.thread else {
            return Err(Error::invalid(
                "comment",
                "only comments can be marked helpful",
            ));
        };
        if self.post_required(thread).await?.author != user {
            return Err(Error::invalid(
                "comment",
                "only the thread's author can mark a comment helpful",
            ));
        }
        if record.author == user {
            return Err(Error::SelfAction {
                action: "mark as helpful a comment by",
            });
        }
        record.helpful = helpful;
        self.store.update_post(&record).await
    }

    /// One post as `viewer` sees it.
    ///
    /// # Errors
    /// [`Error::NotFound`] for a missing or deleted post, or a hidden or
    /// removed post of someone else.
    pub async fn view_post(&self, viewer: Option<UserId>, post: PostId) -> Result<PostView> {
        let record = self.readable_post(post, viewer).await?;
        Ok(self.views(&[record], viewer).await?.remove(0))
    }

    /// Builds the views of posts for one viewer.
    pub(super) async fn views(
        &self,
        posts: &[Post],
        viewer: Option<UserId>,
    ) -> Result<Vec<PostView>> {
        let ids: Vec<PostId> = posts.iter().map(|p| p.id).collect();
        let reactions = self
            .store
            .reactions(&ids, self.store.event_seq().await?)
            .await?;
        let comments = self.store.comment_counts(&ids).await?;
        let liked = match viewer {
            Some(v) => self.store.likes_of(v, &ids).await?,
            None => vec![false; ids.len()],
        };
        let members = self
            .members(
                posts
                    .iter()
                    .filter(|p| !p.anonymous)
                    .map(|p| p.author)
                    .collect(),
            )
            .await?;
        Ok(posts
            .iter()
            .enumerate()
            .map(|(i, p)| PostView {
                id: p.id,
                author: match members.get(&p.author) {
                    Some(m) if !p.anonymous => Author::Member {
                        id: m.id,
                        alias: m.alias.clone(),
                    },
                    _ => Author::Anonymous,
                },
                mine: viewer == Some(p.author),
                thread: p.thread,
                reply_to: p.reply_to,
                text: p.text.clone(),
                html: crate::render_html(&p.text, self.config.render),
                sentiment: p.sentiment,
                cashtags: p.cashtags.clone(),
                performance: p.performance.clone(),
                created_at: p.created_at,
                likes: reactions[i].likes,
                comments: comments[i],
                liked: liked[i],
                helpful: p.helpful,
                status: p.status,
            })
            .collect())
    }

    /// Likes a visible post; liking twice changes nothing (`Ok(false)`). The
    /// author is notified, and again at each like milestone.
    ///
    /// # Errors
    /// [`Error::NotFound`] for a missing or invisible post;
    /// [`Error::SelfAction`] on one's own post; [`Error::AccountRestricted`].
    pub async fn like(&mut self, user: UserId, post: PostId, now: DateTime<Utc>) -> Result<bool> {
        self.actor(user, now, Permission::Like).await?;
        let record = self.visible_post(post).await?;
        if record.author == user {
            return Err(Error::SelfAction {
                action: "like a post by",
            });
        }
        if !self.store.insert_like(post, user).await? {
            return Ok(false);
        }
        self.notify(
            record.author,
            NotificationKind::Like { post },
            Some(user),
            now,
        )
        .await?;
        let likes = self
            .store
            .reactions(&[post], self.store.event_seq().await?)
            .await?[0]
            .likes;
        if self.config.like_milestones.contains(&likes) {
            let milestone = NotificationKind::LikeMilestone { post, likes };
            let already = self
                .store
                .notifications(record.author, false)
                .await?
                .iter()
                .any(|n| n.kind == milestone);
            if !already {
                self.notify(record.author, milestone, None, now).await?;
            }
        }
        Ok(true)
    }

    /// Withdraws a like; `Ok(false)` when there was none.
    ///
    /// # Errors
    /// [`Error::NotFound`] for a missing post; [`Error::AccountRestricted`].
    pub async fn unlike(&mut self, user: UserId, post: PostId, now: DateTime<Utc>) -> Result<bool> {
        self.actor(user, now, Permission::Like).await?;
        self.post_required(post).await?;
        self.store.remove_like(post, user).await
    }

    /// Follows a member; following twice changes nothing (`Ok(false)`). The
    /// member is notified of a new follower.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown member; [`Error::SelfAction`];
    /// [`Error::AccountRestricted`].
    pub async fn follow(
        &mut self,
        follower: UserId,
        followee: UserId,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        self.actor(follower, now, Permission::Follow).await?;
        self.user_required(followee).await?;
        if follower == followee {
            return Err(Error::SelfAction { action: "follow" });
        }
        if !self.store.insert_follow(follower, followee, now).await? {
            return Ok(false);
        }
        self.notify(followee, NotificationKind::NewFollower, Some(follower), now)
            .await?;
        Ok(true)
    }

    /// Stops following; `Ok(false)` when not following.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown member.
    pub async fn unfollow(&mut self, follower: UserId, followee: UserId) -> Result<bool> {
        self.user_required(follower).await?;
        self.user_required(followee).await?;
        self.store.remove_follow(follower, followee).await
    }

    /// The members `user` follows.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown member.
    pub async fn following(&self, user: UserId) -> Result<Vec<Member>> {
        self.user_required(user).await?;
        let mut out = Vec::new();
        for id in self.store.following(user).await? {
            out.push(self.member(id).await?);
        }
        Ok(out)
    }

    /// The members following `user`.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown member.
    pub async fn followers(&self, user: UserId) -> Result<Vec<Member>> {
        self.user_required(user).await?;
        let mut out = Vec::new();
        for id in self.store.followers(user).await? {
            out.push(self.member(id).await?);
        }
        Ok(out)
    }

    /// Everything the community stores about a member, for the member
    /// (a data export): their record with settings, holdings and returns,
    /// every post and comment they wrote (anonymous, hidden, removed and
    /// deleted ones included, oldest first), the posts they like, the flags
    /// they filed, the members they follow, how many follow them (not who:
    /// that is the followers' data) and their notifications.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown member.
    pub async fn export_member(&self, user: UserId) -> Result<MemberExport> {
        let record = self.user_required(user).await?;
        let mut posts = self
            .store
            .query_posts(&PostQuery::new(Scope::Authors(vec![user])))
            .await?;
        posts.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
        Ok(MemberExport {
            likes: self.store.liked_posts(user).await?,
            flags: self.store.flags_by(user).await?,
            following: self.following(user).await?,
            followers: self.store.followers(user).await?.len(),
            notifications: self.notifications(user, false).await?,
            member: record,
            posts,
        })
    }
}
