//! The portfolio ledger: positions, FIFO lots, cash and external flows, all
//! derived from a validated transaction log.

use std::collections::{BTreeMap, VecDeque};

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::{
    Currency, Error, MAX_POSITION_QUANTITY, Money, Result, RowError, Symbol, Transaction,
    TransactionKind,
};

/// Shares bought together, consumed first-in first-out by sales.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Lot {
    /// Purchase date.
    pub date: NaiveDate,
    /// Shares left in the lot (adjusted for later splits).
    pub quantity: Decimal,
    /// Cost of the shares left, purchase fee included.
    pub cost: Decimal,
}

/// One instrument held (or once held) by the portfolio.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Position {
    symbol: Symbol,
    currency: Currency,
    lots: VecDeque<Lot>,
    realized_pnl: Decimal,
    dividends: Decimal,
    /// Shares held: the sum of the lots' quantities, kept as it changes.
    #[serde(skip)]
    quantity: Decimal,
    /// Cost of the shares held: the sum of the lots' costs, kept as it changes.
    #[serde(skip)]
    cost: Decimal,
}

impl Position {
    fn new(symbol: Symbol, currency: Currency) -> Self {
        Self {
            symbol,
            currency,
            lots: VecDeque::new(),
            realized_pnl: Decimal::ZERO,
            dividends: Decimal::ZERO,
            quantity: Decimal::ZERO,
            cost: Decimal::ZERO,
        }
    }

    /// The instrument.
    pub fn symbol(&self) -> &Symbol {
        &self.symbol
    }

    /// The currency every trade of this position is made in.
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// Open FIFO lots, oldest first.
    pub fn lots(&self) -> impl ExactSizeIterator<Item = &Lot> {
        self.lots.iter()
    }

    /// Shares held (at most [`MAX_POSITION_QUANTITY`]).
    pub fn quantity(&self) -> Decimal {
        self.quantity
    }

    /// Cost of the shares held (FIFO), fees included.
    pub fn cost_basis(&self) -> Decimal {
        self.cost
    }

    /// Cost basis per share held, or `None` when nothing is held (or, after
    /// a history of extreme reverse splits applied to [`Holdings`] directly,
    /// when the cost per share does not fit a decimal).
    pub fn avg_cost(&self) -> Option<Decimal> {
        let q = self.quantity;
        if q > Decimal::ZERO {
            self.cost.checked_div(q)
        } else {
            None
        }
    }

    /// Gains and losses realised by sales: proceeds less fees less FIFO cost.
    pub fn realized_pnl(&self) -> Decimal {
        self.realized_pnl
    }

    /// Dividends received, before fees.
    pub fn dividends(&self) -> Decimal {
        self.dividends
    }

    /// Whether shares are held.
    pub fn is_open(&self) -> bool {
        !self.lots.is_empty()
    }
}

/// Cash moving into (positive) or out of (negative) the portfolio from outside.
///
/// Deposits and withdrawals are explicit flows. A buy or fee that needs more
/// cash than the portfolio holds in its currency is funded by an *implicit*
/// deposit of the shortfall, so that portfolios entered as trades only still
/// measure returns correctly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct CashFlow {
    /// When the money moved.
    pub date: NaiveDate,
    /// Signed amount: positive in, negative out.
    pub amount: Money,
    /// Whether the flow was inferred from an unfunded buy or fee.
    pub implicit: bool,
}

/// The state of a portfolio at one point of its log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Holdings {
    positions: BTreeMap<Symbol, Position>,
    cash: BTreeMap<Currency, Decimal>,
    flows: Vec<CashFlow>,
}

/// Cash after taking `amount` from `have`, and the implicit deposit that
/// funds any shortfall; `None` when a figure does not fit a decimal.
fn spend_from(have: Decimal, amount: Decimal) -> Option<(Decimal, Option<Decimal>)> {
    if amount > have {
        Some((Decimal::ZERO, Some(amount.checked_sub(have)?)))
    } else {
        Some((have.checked_sub(amount)?, None))
    }
}

/// `cost * part / whole`: the cost of `part` of a lot of `whole` shares. When
/// the product does not fit, the share of the lot is taken first.
fn part_cost(cost: Decimal, part: Decimal, whole: Decimal) -> Option<Decimal> {
    cost.checked_mul(part)
        .and_then(|c| c.checked_div(whole))
        .or_else(|| part.checked_div(whole).and_then(|r| cost.checked_mul(r)))
}

impl Holdings {
    /// Every position ever opened, open or closed, by symbol.
    pub fn positions(&self) -> impl Iterator<Item = &Position> {
        self.positions.values()
    }

    /// Positions with shares held.
    pub fn open_positions(&self) -> impl Iterator<Item = &Position> {
        self.positions.values().filter(|p| p.is_open())
    }

    /// One position.
    pub fn position(&self, symbol: &Symbol) -> Option<&Position> {
        self.positions.get(symbol)
    }

    /// Cash by currency (never negative).
    pub fn cash(&self) -> impl Iterator<Item = Money> + '_ {
        self.cash.iter().map(|(c, a)| Money::new(*a, *c))
    }

    /// External cash flows so far, in log order.
    pub fn flows(&self) -> &[CashFlow] {
        &self.flows
    }

    fn cash_of(&self, c: Currency) -> Decimal {
        self.cash.get(&c).copied().unwrap_or_default()
    }

    /// Sets the cash of `currency` after a spend planned by [`spend_from`].
    fn commit_cash(
        &mut self,
        date: NaiveDate,
        currency: Currency,
        (cash, implicit): (Decimal, Option<Decimal>),
    ) {
        if let Some(shortfall) = implicit {
            self.flows.push(CashFlow {
                date,
                amount: Money::new(shortfall, currency),
                implicit: true,
            });
        }
        self.cash.insert(currency, cash);
    }

    fn check_currency(&self, symbol: &Symbol, currency: Currency) -> Result<()> {
        match self.positions.get(symbol) {
            Some(p) if p.currency != currency => Err(Error::CurrencyMismatch {
                symbol: Some(symbol.clone()),
                expected: p.currency,
                found: currency,
            }),
            _ => Ok(()),
        }
    }

    fn existing(&self, symbol: &Symbol, date: NaiveDate) -> Result<&Position> {
        self.positions
            .get(symbol)
            .ok_or_else(|| Error::UnknownPosition {
                symbol: symbol.clone(),
                date,
            })
    }

    /// Applies one transaction. Every check runs before anything changes, so
    /// on error the holdings are exactly as they were. All arithmetic is
    /// checked: an amount that does not fit an exact decimal is an error,
    /// never a panic.
    ///
    /// # Errors
    /// [`Error::Oversold`], [`Error::InsufficientCash`], [`Error::CurrencyMismatch`],
    /// [`Error::UnknownPosition`], [`Error::PositionTooLarge`] (a buy or split
    /// that leaves more than [`MAX_POSITION_QUANTITY`] shares) or
    /// [`Error::Overflow`] (naming what overflowed and the transaction).
    pub fn apply(&mut self, tx: &Transaction) -> Result<()> {
        let (date, ccy, fee) = (tx.date, tx.currency, tx.fee);
        if let Some(symbol) = tx.symbol() {
            self.check_currency(symbol, ccy)?;
        }
        let kind = tx.transaction_type();
        let overflow = |what: String| Error::overflow(format!("{what} after the {kind} of {date}"));
        let cash_overflow = || overflow(format!("the {ccy} cash"));
        match &tx.kind {
            TransactionKind::Buy {
                symbol,
                quantity,
                price,
            } => {
                let cost = quantity
                    .get()
                    .checked_mul(price.get())
                    .and_then(|c| c.checked_add(fee))
                    .ok_or_else(|| overflow(format!("the cost of {symbol}")))?;
                let (held, basis) = self
                    .positions
                    .get(symbol)
                    .map_or((Decimal::ZERO, Decimal::ZERO), |p| (p.quantity, p.cost));
                let held = held
                    .checked_add(quantity.get())
                    .filter(|q| *q <= MAX_POSITION_QUANTITY)
                    .ok_or_else(|| Error::PositionTooLarge {
                        symbol: symbol.clone(),
                        date,
                        kind,
                        max: MAX_POSITION_QUANTITY,
                    })?;
                let basis = basis
                    .checked_add(cost)
                    .ok_or_else(|| overflow(format!("the cost basis of {symbol}")))?;
                let cash = spend_from(self.cash_of(ccy), cost).ok_or_else(cash_overflow)?;
                self.commit_cash(date, ccy, cash);
                let position = self
                    .positions
                    .entry(symbol.clone())
                    .or_insert_with(|| Position::new(symbol.clone(), ccy));
                position.lots.push_back(Lot {
                    date,
                    quantity: quantity.get(),
                    cost,
                });
                position.quantity = held;
                position.cost = basis;
            }
            TransactionKind::Sell {
                symbol,
                quantity,
                price,
            } => {
                let held = self
                    .positions
                    .get(symbol)
                    .map_or(Decimal::ZERO, |p| p.quantity);
                let requested = quantity.get();
                if requested > held {
                    return Err(Error::Oversold {
                        symbol: symbol.clone(),
                        date,
                        requested,
                        held,
                    });
                }
                let proceeds = requested
                    .checked_mul(price.get())
                    .and_then(|p| p.checked_sub(fee))
                    .ok_or_else(|| overflow(format!("the proceeds of {symbol}")))?;
                let position = self.existing(symbol, date)?;
                // Plan the FIFO consumption without changing anything.
                let mut left = requested;
                let mut cost = Decimal::ZERO;
                let mut whole = 0;
                let mut partial = None;
                for lot in &position.lots {
                    if left <= Decimal::ZERO {
                        break;
                    }
                    if lot.quantity <= left {
                        left -= lot.quantity;
                        cost = cost
                            .checked_add(lot.cost)
                            .ok_or_else(|| overflow(format!("the cost of the {symbol} sold")))?;
                        whole += 1;
                    } else {
                        let part = part_cost(lot.cost, left, lot.quantity)
                            .ok_or_else(|| overflow(format!("the cost of the {symbol} sold")))?;
                        cost = cost
                            .checked_add(part)
                            .ok_or_else(|| overflow(format!("the cost of the {symbol} sold")))?;
                        partial = Some((lot.quantity - left, lot.cost - part));
                        left = Decimal::ZERO;
                    }
                }
                let realized = proceeds
                    .checked_sub(cost)
                    .and_then(|gain| position.realized_pnl.checked_add(gain))
                    .ok_or_else(|| overflow(format!("the realised P&L of {symbol}")))?;
                let remaining_cost = position.cost.checked_sub(cost).unwrap_or(Decimal::ZERO);
                let remaining = held - requested;
                let have = self.cash_of(ccy);
                let cash = if proceeds >= Decimal::ZERO {
                    have.checked_add(proceeds).map(|c| (c, None))
                } else {
                    spend_from(have, -proceeds)
                }
                .ok_or_else(cash_overflow)?;
                // Commit.
                self.commit_cash(date, ccy, cash);
                let Some(position) = self.positions.get_mut(symbol) else {
                    return Err(Error::UnknownPosition {
                        symbol: symbol.clone(),
                        date,
                    });
                };
                position.lots.drain(..whole);
                if let (Some((q, c)), Some(lot)) = (partial, position.lots.front_mut()) {
                    lot.quantity = q;
                    lot.cost = c;
                }
                position.realized_pnl = realized;
                if position.lots.is_empty() {
                    position.quantity = Decimal::ZERO;
                    position.cost = Decimal::ZERO;
                } else {
                    position.quantity = remaining;
                    position.cost = remaining_cost;
                }
            }
            TransactionKind::Dividend { symbol, amount } => {
                let dividends = self
                    .existing(symbol, date)?
                    .dividends
                    .checked_add(amount.get())
                    .ok_or_else(|| overflow(format!("the dividends of {symbol}")))?;
                let cash = self
                    .cash_of(ccy)
                    .checked_add(amount.get())
                    .and_then(|have| spend_from(have, fee))
                    .ok_or_else(cash_overflow)?;
                self.commit_cash(date, ccy, cash);
                if let Some(position) = self.positions.get_mut(symbol) {
                    position.dividends = dividends;
                }
            }
            TransactionKind::Split { symbol, ratio } => {
                let position = self.existing(symbol, date)?;
                let too_large = || Error::PositionTooLarge {
                    symbol: symbol.clone(),
                    date,
                    kind,
                    max: MAX_POSITION_QUANTITY,
                };
                let split: Vec<Decimal> = position
                    .lots
                    .iter()
                    .map(|l| l.quantity.checked_mul(ratio.get()))
                    .collect::<Option<_>>()
                    .ok_or_else(too_large)?;
                let total = split
                    .iter()
                    .try_fold(Decimal::ZERO, |sum, q| sum.checked_add(*q))
                    .filter(|q| *q <= MAX_POSITION_QUANTITY)
                    .ok_or_else(too_large)?;
                let cash = spend_from(self.cash_of(ccy), fee).ok_or_else(cash_overflow)?;
                self.commit_cash(date, ccy, cash);
                if let Some(position) = self.positions.get_mut(symbol) {
                    for (lot, q) in position.lots.iter_mut().zip(split) {
                        lot.quantity = q;
                    }
                    position.quantity = total;
                }
            }
            TransactionKind::Deposit { amount } => {
                let cash = self
                    .cash_of(ccy)
                    .checked_add(amount.get())
                    .and_then(|have| spend_from(have, fee))
                    .ok_or_else(cash_overflow)?;
                self.flows.push(CashFlow {
                    date,
                    amount: Money::new(amount.get(), ccy),
                    implicit: false,
                });
                self.commit_cash(date, ccy, cash);
            }
            TransactionKind::Withdrawal { amount } => {
                let available = self.cash_of(ccy);
                let requested = amount
                    .get()
                    .checked_add(fee)
                    .ok_or_else(|| overflow("the amount withdrawn".to_owned()))?;
                if requested > available {
                    return Err(Error::InsufficientCash {
                        currency: ccy,
                        date,
                        requested,
                        available,
                    });
                }
                let left = available.checked_sub(requested).ok_or_else(cash_overflow)?;
                self.flows.push(CashFlow {
                    date,
                    amount: Money::new(-amount.get(), ccy),
                    implicit: false,
                });
                self.cash.insert(ccy, left);
            }
            TransactionKind::Fee { amount } => {
                let cash = amount
                    .get()
                    .checked_add(fee)
                    .and_then(|total| spend_from(self.cash_of(ccy), total))
                    .ok_or_else(cash_overflow)?;
                self.commit_cash(date, ccy, cash);
            }
        }
        Ok(())
    }
}

/// Result of importing many transactions.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ImportReport {
    /// Transactions added to the portfolio.
    pub imported: usize,
    /// Rows that were left out (only with `skip_invalid`), in line order.
    pub skipped: Vec<RowError>,
}

/// Calendar days of prices [`Portfolio::history_days`] gives a portfolio
/// without transactions: a year of trading days (about 365 calendar days)
/// with slack, enough for the one-year statistics.
pub const DEFAULT_HISTORY_DAYS: i64 = 400;

/// A portfolio: a validated transaction log and the holdings derived from it.
///
/// The log is kept in date order (transactions of one day in the order they
/// were added). Every change is validated against the whole log: a change that
/// would make any transaction invalid is refused with a typed error and the
/// portfolio is left exactly as it was.
///
/// ```
/// use auravest_core::{Currency, Portfolio};
/// let mut p = Portfolio::new(Currency::USD, "2024-12-31".parse().unwrap());
/// let csv = "date,type,symbol,quantity,price,fee,currency\n\
///            2024-01-02,buy,AAPL,10,100,1,USD\n\
///            2024-03-01,sell,AAPL,4,120,1,USD\n";
/// let rows = auravest_core::io::read_transactions_csv(csv.as_bytes())?;
/// p.import(rows, false)?;
/// let aapl = p.holdings().position(&"AAPL".parse()?).unwrap();
/// assert_eq!(aapl.quantity().to_string(), "6");
/// assert_eq!(aapl.realized_pnl().to_string(), "78.60"); // 4*120-1 - 4*(1001/10)
/// # Ok::<(), auravest_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Portfolio {
    base_currency: Currency,
    today: NaiveDate,
    transactions: Vec<Transaction>,
    holdings: Holdings,
}

impl Portfolio {
    /// An empty portfolio reported in `base_currency`; transactions dated after
    /// `today` are refused. The caller owns the clock (this crate never reads
    /// it), so a server passes its own date and a test a fixed one.
    pub fn new(base_currency: Currency, today: NaiveDate) -> Self {
        Self {
            base_currency,
            today,
            transactions: Vec::new(),
            holdings: Holdings::default(),
        }
    }

    /// Moves the date after which transactions are refused (a long-lived
    /// portfolio crossing midnight).
    #[must_use]
    pub fn with_today(mut self, today: NaiveDate) -> Self {
        self.today = today;
        self
    }

    /// The date after which transactions are refused (the caller's today).
    pub fn today(&self) -> NaiveDate {
        self.today
    }

    /// The reporting currency.
    pub fn base_currency(&self) -> Currency {
        self.base_currency
    }

    /// The log, in date order.
    pub fn transactions(&self) -> &[Transaction] {
        &self.transactions
    }

    /// Calendar days of daily prices an analysis of the whole log reads on
    /// [`Portfolio::today`]: back to the first transaction (the checks of
    /// past sales and drawdowns held need all of it) with
    /// [`HISTORY_SLACK_DAYS`](crate::HISTORY_SLACK_DAYS) before it, or
    /// [`DEFAULT_HISTORY_DAYS`] without transactions.
    pub fn history_days(&self) -> i64 {
        self.transactions.first().map_or(DEFAULT_HISTORY_DAYS, |t| {
            crate::history_days(t.date, self.today)
        })
    }

    /// Holdings after the whole log.
    pub fn holdings(&self) -> &Holdings {
        &self.holdings
    }

    /// Holdings after every transaction dated on or before `date`.
    ///
    /// # Errors
    /// None in practice: the log was validated when it was built.
    pub fn holdings_at(&self, date: NaiveDate) -> Result<Holdings> {
        let mut h = Holdings::default();
        for tx in self.transactions.iter().take_while(|t| t.date <= date) {
            h.apply(tx)?;
        }
        Ok(h)
    }

    /// Checks what the ledger replay does not, for a transaction that may have
    /// been built in code rather than read from a file: the date (not after
    /// today, inside [`MIN_DATE`](crate::MIN_DATE) ..=
    /// [`MAX_DATE`](crate::MAX_DATE)), the fee (a public field, so it may
    /// bypass [`Transaction::with_fee`]), the decimal places of every number
    /// and the split ratio's range.
    fn check_input(&self, tx: &Transaction) -> Result<()> {
        if tx.date > self.today {
            return Err(Error::FutureDate {
                date: tx.date,
                today: self.today,
            });
        }
        crate::check_date("date", tx.date)?;
        crate::transaction::check_fee(tx.fee)?;
        crate::transaction::check_amounts(tx)
    }

    fn replay(log: &[Transaction]) -> Result<Holdings> {
        let mut h = Holdings::default();
        for tx in log {
            h.apply(tx)?;
        }
        Ok(h)
    }

    /// Adds one transaction after the others of its date.
    ///
    /// # Errors
    /// [`Error::FutureDate`], [`Error::DateOutOfRange`], [`Error::InvalidField`]
    /// (a negative `fee`, too many decimal places, a split ratio out of
    /// range), or an error of [`Holdings::apply`] for this or a later
    /// transaction, naming the field; the portfolio is unchanged.
    pub fn insert(&mut self, tx: Transaction) -> Result<()> {
        self.check_input(&tx)?;
        let at = self.transactions.partition_point(|t| t.date <= tx.date);
        if at == self.transactions.len() {
            // Appending: applying checks everything before it changes anything.
            self.holdings.apply(&tx)?;
            self.transactions.push(tx);
            return Ok(());
        }
        let mut log = self.transactions.clone();
        log.insert(at, tx);
        self.holdings = Self::replay(&log)?;
        self.transactions = log;
        Ok(())
    }

    /// Removes the transaction at `index` of [`Portfolio::transactions`].
    ///
    /// # Errors
    /// [`Error::NoSuchTransaction`], or the error of a later transaction that
    /// the removal would invalidate (a sale of shares whose purchase is being
    /// removed); the portfolio is unchanged.
    pub fn remove(&mut self, index: usize) -> Result<Transaction> {
        self.check_index(index)?;
        let mut log = self.transactions.clone();
        let removed = log.remove(index);
        self.holdings = Self::replay(&log)?;
        self.transactions = log;
        Ok(removed)
    }

    /// Replaces the transaction at `index`; the new one takes its place in date order.
    ///
    /// # Errors
    /// As [`Portfolio::insert`] and [`Portfolio::remove`]; the portfolio is unchanged.
    pub fn replace(&mut self, index: usize, tx: Transaction) -> Result<Transaction> {
        self.check_index(index)?;
        self.check_input(&tx)?;
        let mut log = self.transactions.clone();
        let old = log.remove(index);
        let at = log.partition_point(|t| t.date <= tx.date);
        log.insert(at, tx);
        self.holdings = Self::replay(&log)?;
        self.transactions = log;
        Ok(old)
    }

    fn check_index(&self, index: usize) -> Result<()> {
        if index < self.transactions.len() {
            Ok(())
        } else {
            Err(Error::NoSuchTransaction {
                index,
                len: self.transactions.len(),
            })
        }
    }

    /// Imports parsed rows (`(line, row)` pairs as the readers in [`crate::io`]
    /// give them), in date order.
    ///
    /// With `skip_invalid` false, nothing is imported if any row is invalid
    /// (unparseable, or refused by the ledger). With `skip_invalid` true, the
    /// good rows are imported and the others listed in the report.
    ///
    /// Each new row goes after the stored transactions of its date; new rows
    /// of one date keep their order. The new rows and the stored log are
    /// merged and replayed once, so an import costs O((n + m) log m) for n
    /// stored and m new transactions. A new row the ledger refuses is
    /// reported with its own error. When a stored transaction fails because
    /// of earlier new rows, the latest such row that touches the same symbol
    /// (or, for cash, the same currency) is refused with that error and a
    /// note of the stored transaction it would break, and the log is replayed
    /// again; at most [`MAX_IMPORT_RESTARTS`] times. Past that bound every
    /// remaining new row dated before the last stored transaction is refused
    /// unchecked (import those rows in smaller batches) and the rest are
    /// replayed once more.
    ///
    /// # Errors
    /// [`Error::Import`] with every bad row and its line; the portfolio is unchanged.
    pub fn import<I>(&mut self, rows: I, skip_invalid: bool) -> Result<ImportReport>
    where
        I: IntoIterator<Item = (usize, std::result::Result<Transaction, Vec<Error>>)>,
    {
        let mut errors = Vec::new();
        let mut good = Vec::new();
        for (line, row) in rows {
            match row {
                Ok(tx) => match self.check_input(&tx) {
                    Ok(()) => good.push((line, tx)),
                    Err(e) => errors.push(row_error(line, &e)),
                },
                Err(errs) => errors.extend(errs.iter().map(|e| row_error(line, e))),
            }
        }
        // Stable: rows of one date keep their file order.
        good.sort_by_key(|(_, t)| t.date);
        let merged = self.merge(&good, &mut errors)?;
        errors.sort_by_key(|e| e.line);
        if !errors.is_empty() && !skip_invalid {
            return Err(Error::Import { errors });
        }
        self.transactions = merged.transactions;
        self.holdings = merged.holdings;
        Ok(ImportReport {
            imported: merged.imported,
            skipped: errors,
        })
    }

    /// Merges `new` rows (sorted by date, stably) into the log and replays it,
    /// recording the rows refused in `errors`; see [`Portfolio::import`].
    fn merge(&self, new: &[(usize, Transaction)], errors: &mut Vec<RowError>) -> Result<Merged> {
        let mut stats = MergeStats::default();
        let Some(first) = new.first().map(|(_, t)| t.date) else {
            return Ok(Merged {
                transactions: self.transactions.clone(),
                holdings: self.holdings.clone(),
                imported: 0,
                stats,
            });
        };
        let log = &self.transactions;
        // Stored transactions before `start` come before every new row: their
        // holdings are the same on every replay.
        let start = log.partition_point(|t| t.date <= first);
        let base = if start == log.len() {
            self.holdings.clone()
        } else {
            stats.applied += start;
            Self::replay(&log[..start])?
        };
        // The merged order of the rest: stored rows first within a date.
        let mut order = Vec::with_capacity(log.len() - start + new.len());
        let (mut i, mut k) = (start, 0);
        while i < log.len() || k < new.len() {
            let stored_first = match (log.get(i), new.get(k)) {
                (Some(t), Some((_, n))) => t.date <= n.date,
                (Some(_), None) => true,
                _ => false,
            };
            if stored_first {
                order.push(Entry::Stored(i));
                i += 1;
            } else {
                order.push(Entry::New(k));
                k += 1;
            }
        }
        // New rows refused for breaking stored ones: refused for good.
        let mut culprit = vec![false; new.len()];
        let mut culprit_errors = Vec::new();
        loop {
            stats.replays += 1;
            let mut h = base.clone();
            let mut accepted = vec![false; new.len()];
            let mut row_errors = Vec::new();
            let mut last = Last::default();
            let mut broken = None;
            for entry in &order {
                match *entry {
                    Entry::New(k) if culprit[k] => {}
                    Entry::New(k) => {
                        stats.applied += 1;
                        let (line, tx) = &new[k];
                        match h.apply(tx) {
                            Ok(()) => {
                                accepted[k] = true;
                                last.note(k, tx);
                            }
                            Err(e) => row_errors.push(row_error(*line, &e)),
                        }
                    }
                    Entry::Stored(i) => {
                        stats.applied += 1;
                        if let Err(e) = h.apply(&log[i]) {
                            broken = Some((i, e));
                            break;
                        }
                    }
                }
            }
            let Some((i, e)) = broken else {
                errors.extend(culprit_errors);
                errors.extend(row_errors);
                let imported = accepted.iter().filter(|a| **a).count();
                let mut transactions = Vec::with_capacity(log.len() + imported);
                transactions.extend_from_slice(&log[..start]);
                for entry in &order {
                    match *entry {
                        Entry::Stored(i) => transactions.push(log[i].clone()),
                        Entry::New(k) if accepted[k] => transactions.push(new[k].1.clone()),
                        Entry::New(_) => {}
                    }
                }
                return Ok(Merged {
                    transactions,
                    holdings: h,
                    imported,
                    stats,
                });
            };
            let stored = &log[i];
            if stats.replays > MAX_IMPORT_RESTARTS {
                // Too many conflicts: refuse every new row that interleaves
                // with the stored log, unchecked; the rest follow it.
                let last_stored = log.last().map_or(stored.date, |t| t.date);
                for entry in &order {
                    if let Entry::New(k) = *entry
                        && !culprit[k]
                        && new[k].1.date < last_stored
                    {
                        culprit[k] = true;
                        culprit_errors.push(RowError {
                            line: new[k].0,
                            field: "date".to_owned(),
                            reason: format!(
                                "not checked: more than {MAX_IMPORT_RESTARTS} rows of this import conflict with stored transactions; import the rows dated before {last_stored} in smaller batches"
                            ),
                        });
                    }
                }
                continue;
            }
            let Some(k) = last.blame(&e) else {
                // Cannot happen: the stored log alone is valid, so only an
                // accepted new row can break it.
                return Err(e);
            };
            culprit[k] = true;
            let mut error = row_error(new[k].0, &e);
            error.reason = format!(
                "{}; it would break the stored {} of {}",
                error.reason,
                stored.transaction_type(),
                stored.date
            );
            culprit_errors.push(error);
        }
    }
}

/// At most this many times an import replays its merged log after a stored
/// transaction failed because of new rows; see [`Portfolio::import`].
pub const MAX_IMPORT_RESTARTS: usize = 64;

/// A merged import, before it is kept.
#[derive(Debug)]
struct Merged {
    transactions: Vec<Transaction>,
    holdings: Holdings,
    imported: usize,
    #[cfg_attr(not(test), allow(dead_code))]
    stats: MergeStats,
}

/// The work a merge did, for the tests that check it is not quadratic.
#[derive(Debug, Default, Clone, Copy)]
#[cfg_attr(not(test), allow(dead_code))]
struct MergeStats {
    /// Transactions applied, over every replay.
    applied: usize,
    /// Replays of the merged part of the log.
    replays: usize,
}

/// One place of the merged log: a stored transaction or a new row.
#[derive(Debug, Clone, Copy)]
enum Entry {
    Stored(usize),
    New(usize),
}

/// The latest accepted new row, overall, by symbol and by cash currency.
#[derive(Debug, Default)]
struct Last {
    any: Option<usize>,
    by_symbol: std::collections::HashMap<Symbol, usize>,
    spending: std::collections::HashMap<Currency, usize>,
}

impl Last {
    fn note(&mut self, k: usize, tx: &Transaction) {
        self.any = Some(k);
        if let Some(symbol) = tx.symbol() {
            self.by_symbol.insert(symbol.clone(), k);
        }
        let spends = !tx.fee.is_zero()
            || matches!(
                tx.kind,
                TransactionKind::Buy { .. }
                    | TransactionKind::Sell { .. }
                    | TransactionKind::Withdrawal { .. }
                    | TransactionKind::Fee { .. }
            );
        if spends {
            self.spending.insert(tx.currency, k);
        }
    }

    /// The new row to blame for a stored transaction's error `e`: the latest
    /// accepted one about the same symbol, or that spent the same currency,
    /// or else the latest accepted one.
    fn blame(&self, e: &Error) -> Option<usize> {
        let found = match e {
            Error::Oversold { symbol, .. }
            | Error::UnknownPosition { symbol, .. }
            | Error::PositionTooLarge { symbol, .. }
            | Error::CurrencyMismatch {
                symbol: Some(symbol),
                ..
            } => self.by_symbol.get(symbol).copied(),
            Error::InsufficientCash { currency, .. } => self.spending.get(currency).copied(),
            _ => None,
        };
        found.or(self.any)
    }
}

pub(crate) fn row_error(line: usize, e: &Error) -> RowError {
    RowError {
        line,
        field: e.field().unwrap_or("row").to_owned(),
        reason: e.reason(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Price, Quantity};

    fn on(n: u64) -> NaiveDate {
        NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or(NaiveDate::MIN) + chrono::Days::new(n)
    }

    fn trade(date: NaiveDate, symbol: &str, sell: bool, q: u32) -> Transaction {
        let symbol = Symbol::new(symbol).unwrap();
        let quantity = Quantity::new("quantity", Decimal::from(q)).unwrap();
        let price = Price::new("price", Decimal::from(10)).unwrap();
        let kind = if sell {
            TransactionKind::Sell {
                symbol,
                quantity,
                price,
            }
        } else {
            TransactionKind::Buy {
                symbol,
                quantity,
                price,
            }
        };
        Transaction::new(date, kind, Currency::USD)
    }

    #[test]
    fn history_reaches_back_to_the_first_transaction_with_slack() {
        let empty = Portfolio::new(Currency::USD, on(1000));
        assert_eq!(empty.history_days(), DEFAULT_HISTORY_DAYS);
        let mut p = Portfolio::new(Currency::USD, on(1000));
        p.insert(trade(on(900), "A", false, 1)).unwrap();
        p.insert(trade(on(100), "B", false, 1)).unwrap();
        assert_eq!(p.history_days(), 900 + crate::HISTORY_SLACK_DAYS);
        assert_eq!(crate::history_days(on(5), on(5)), crate::HISTORY_SLACK_DAYS);
        assert_eq!(crate::history_days(on(9), on(5)), crate::HISTORY_SLACK_DAYS);
    }

    /// `n` stored transactions on even days: buys of 10 and sales of 5 of 20
    /// symbols, so every symbol always holds shares.
    fn stored(n: u64) -> Portfolio {
        let mut p = Portfolio::new(Currency::USD, on(10 * n));
        for i in 0..n {
            let symbol = format!("S{}", i % 20);
            p.insert(trade(
                on(2 * i),
                &symbol,
                i % 40 >= 20,
                if i % 40 >= 20 { 5 } else { 10 },
            ))
            .unwrap();
        }
        p
    }

    fn merge(p: &Portfolio, new: Vec<(usize, Transaction)>) -> (Merged, Vec<RowError>) {
        let mut errors = Vec::new();
        let mut new = new;
        new.sort_by_key(|(_, t)| t.date);
        let merged = p.merge(&new, &mut errors).unwrap();
        (merged, errors)
    }

    #[test]
    fn an_interleaved_import_replays_the_log_once() {
        let (n, m) = (8_000, 2_000);
        let p = stored(n);
        // New rows on odd days, spread over the whole stored log.
        let new: Vec<_> = (0..m)
            .map(|k| {
                let symbol = format!("S{}", k % 20);
                (k as usize + 2, trade(on(8 * k + 1), &symbol, k % 2 == 1, 1))
            })
            .collect();
        let (merged, errors) = merge(&p, new);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(merged.imported, m as usize);
        assert_eq!(merged.transactions.len(), (n + m) as usize);
        assert_eq!(merged.stats.replays, 1);
        // Every transaction applied once; inserting row by row would apply
        // about m * n / 2 = 8 million.
        assert!(
            merged.stats.applied <= (n + m) as usize,
            "{}",
            merged.stats.applied
        );
        assert!(
            merged
                .transactions
                .windows(2)
                .all(|w| w[0].date <= w[1].date)
        );
    }

    #[test]
    fn an_appended_import_replays_only_the_new_rows() {
        let p = stored(2_000);
        let new: Vec<_> = (0..500)
            .map(|k| (k as usize + 2, trade(on(5_000 + k), "S1", false, 1)))
            .collect();
        let (merged, errors) = merge(&p, new);
        assert!(errors.is_empty());
        assert_eq!(merged.stats.applied, 500);
        assert_eq!(merged.stats.replays, 1);
    }

    #[test]
    fn each_conflict_with_the_stored_log_costs_one_replay() {
        let p = stored(400);
        // Each sells all of a symbol just before the stored log sells it too.
        let conflicts: Vec<_> = (0..3u64)
            .map(|k| {
                let held = p
                    .holdings_at(on(2 * 20 + 2 * k - 1))
                    .unwrap()
                    .position(&Symbol::new(&format!("S{k}")).unwrap())
                    .map_or(Decimal::ZERO, Position::quantity);
                let q = u32::try_from(held.mantissa()).unwrap();
                (
                    k as usize + 2,
                    trade(on(2 * 20 + 2 * k - 1), &format!("S{k}"), true, q),
                )
            })
            .collect();
        let (merged, errors) = merge(&p, conflicts);
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(
            errors
                .iter()
                .all(|e| e.reason.contains("it would break the stored sell"))
        );
        assert_eq!(merged.imported, 0);
        assert_eq!(merged.stats.replays, 4);
        assert_eq!(merged.transactions, p.transactions);
    }

    #[test]
    fn restarts_are_bounded() {
        let p = stored(400);
        // One conflicting sale before each of 100 stored sales, then rows after the log.
        let mut new = Vec::new();
        for i in 0..400u64 {
            if i % 40 >= 20 {
                let symbol = format!("S{}", i % 20);
                let held = p
                    .holdings_at(on(2 * i - 1))
                    .unwrap()
                    .position(&Symbol::new(&symbol).unwrap())
                    .map_or(Decimal::ZERO, Position::quantity);
                let q = u32::try_from(held.mantissa()).unwrap();
                new.push((new.len() + 2, trade(on(2 * i - 1), &symbol, true, q)));
            }
        }
        let conflicting = new.len();
        assert_eq!(conflicting, 200);
        new.push((new.len() + 2, trade(on(1_000), "S1", false, 1)));
        let (merged, errors) = merge(&p, new);
        assert_eq!(merged.stats.replays, MAX_IMPORT_RESTARTS + 2);
        assert_eq!(errors.len(), conflicting);
        assert!(errors.iter().any(|e| e.reason.starts_with("not checked")));
        assert_eq!(merged.imported, 1);
        assert!(merged.stats.applied <= (MAX_IMPORT_RESTARTS + 2) * (400 + 201));
    }
}
