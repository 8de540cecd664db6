//! The portfolio ledger: positions, FIFO lots, cash and external flows, all
//! derived from a validated transaction log.

use std::collections::{BTreeMap, VecDeque};

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::{Currency, Error, Money, Result, Symbol, Transaction, TransactionKind};

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
}

impl Position {
    fn new(symbol: Symbol, currency: Currency) -> Self {
        Self {
            symbol,
            currency,
            lots: VecDeque::new(),
            realized_pnl: Decimal::ZERO,
            dividends: Decimal::ZERO,
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

    /// Shares held.
    pub fn quantity(&self) -> Decimal {
        self.lots.iter().map(|l| l.quantity).sum()
    }

    /// Cost of the shares held (FIFO), fees included.
    pub fn cost_basis(&self) -> Decimal {
        self.lots.iter().map(|l| l.cost).sum()
    }

    /// Cost basis per share held, or `None` when nothing is held.
    pub fn avg_cost(&self) -> Option<Decimal> {
        let q = self.quantity();
        (q > Decimal::ZERO).then(|| self.cost_basis() / q)
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

    /// Takes `amount` from cash, funding any shortfall by an implicit deposit.
    fn spend(&mut self, date: NaiveDate, currency: Currency, amount: Decimal) {
        let have = self.cash_of(currency);
        if amount > have {
            self.flows.push(CashFlow {
                date,
                amount: Money::new(amount - have, currency),
                implicit: true,
            });
            self.cash.insert(currency, Decimal::ZERO);
        } else {
            self.cash.insert(currency, have - amount);
        }
    }

    fn receive(&mut self, currency: Currency, amount: Decimal) {
        *self.cash.entry(currency).or_default() += amount;
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

    fn existing(&mut self, symbol: &Symbol, date: NaiveDate) -> Result<&mut Position> {
        self.positions
            .get_mut(symbol)
            .ok_or_else(|| Error::UnknownPosition {
                symbol: symbol.clone(),
                date,
            })
    }

    /// Applies one transaction. Every check runs before anything changes, so
    /// on error the holdings are exactly as they were.
    ///
    /// # Errors
    /// [`Error::Oversold`], [`Error::InsufficientCash`], [`Error::CurrencyMismatch`]
    /// or [`Error::UnknownPosition`].
    pub fn apply(&mut self, tx: &Transaction) -> Result<()> {
        let (date, ccy, fee) = (tx.date, tx.currency, tx.fee);
        if let Some(symbol) = tx.symbol() {
            self.check_currency(symbol, ccy)?;
        }
        match &tx.kind {
            TransactionKind::Buy {
                symbol,
                quantity,
                price,
            } => {
                let cost = quantity.get() * price.get() + fee;
                self.spend(date, ccy, cost);
                self.positions
                    .entry(symbol.clone())
                    .or_insert_with(|| Position::new(symbol.clone(), ccy))
                    .lots
                    .push_back(Lot {
                        date,
                        quantity: quantity.get(),
                        cost,
                    });
            }
            TransactionKind::Sell {
                symbol,
                quantity,
                price,
            } => {
                let held = self
                    .positions
                    .get(symbol)
                    .map_or(Decimal::ZERO, Position::quantity);
                if quantity.get() > held {
                    return Err(Error::Oversold {
                        symbol: symbol.clone(),
                        date,
                        requested: quantity.get(),
                        held,
                    });
                }
                let proceeds = quantity.get() * price.get() - fee;
                let position = self.existing(symbol, date)?;
                let mut left = quantity.get();
                let mut cost = Decimal::ZERO;
                while left > Decimal::ZERO {
                    let Some(lot) = position.lots.front_mut() else {
                        break;
                    };
                    if lot.quantity <= left {
                        left -= lot.quantity;
                        cost += lot.cost;
                        position.lots.pop_front();
                    } else {
                        let part = lot.cost * left / lot.quantity;
                        lot.quantity -= left;
                        lot.cost -= part;
                        cost += part;
                        left = Decimal::ZERO;
                    }
                }
                position.realized_pnl += proceeds - cost;
                if proceeds >= Decimal::ZERO {
                    self.receive(ccy, proceeds);
                } else {
                    self.spend(date, ccy, -proceeds);
                }
            }
            TransactionKind::Dividend { symbol, amount } => {
                self.existing(symbol, date)?.dividends += amount.get();
                self.receive(ccy, amount.get());
                self.spend(date, ccy, fee);
            }
            TransactionKind::Split { symbol, ratio } => {
                let position = self.existing(symbol, date)?;
                let split: Option<Vec<Decimal>> = position
                    .lots
                    .iter()
                    .map(|l| l.quantity.checked_mul(ratio.get()))
                    .collect();
                let Some(split) = split else {
                    return Err(Error::field_error(
                        "quantity",
                        format!("a {ratio}:1 split makes the {symbol} position too large"),
                    ));
                };
                for (lot, q) in position.lots.iter_mut().zip(split) {
                    lot.quantity = q;
                }
                self.spend(date, ccy, fee);
            }
            TransactionKind::Deposit { amount } => {
                self.flows.push(CashFlow {
                    date,
                    amount: Money::new(amount.get(), ccy),
                    implicit: false,
                });
                self.receive(ccy, amount.get());
                self.spend(date, ccy, fee);
            }
            TransactionKind::Withdrawal { amount } => {
                let available = self.cash_of(ccy);
                let requested = amount.get() + fee;
                if requested > available {
                    return Err(Error::InsufficientCash {
                        currency: ccy,
                        date,
                        requested,
                        available,
                    });
                }
                self.flows.push(CashFlow {
                    date,
                    amount: Money::new(-amount.get(), ccy),
                    implicit: false,
                });
                self.cash.insert(ccy, available - requested);
            }
            TransactionKind::Fee { amount } => self.spend(date, ccy, amount.get() + fee),
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
    pub skipped: Vec<crate::RowError>,
}

/// A portfolio: a validated transaction log and the holdings derived from it.
///
/// The log is kept in date order (transactions of one day in the order they
/// were added). Every change is validated against the whole log: a change that
/// would make any transaction invalid is refused with a typed error and the
/// portfolio is left exactly as it was.
///
/// ```
/// use auravest_core::{Currency, Portfolio};
/// let mut p = Portfolio::new(Currency::USD).with_today("2024-12-31".parse().unwrap());
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
    /// today's UTC date are refused.
    pub fn new(base_currency: Currency) -> Self {
        Self {
            base_currency,
            today: chrono::Utc::now().date_naive(),
            transactions: Vec::new(),
            holdings: Holdings::default(),
        }
    }

    /// Uses `today` as the date after which transactions are refused.
    #[must_use]
    pub fn with_today(mut self, today: NaiveDate) -> Self {
        self.today = today;
        self
    }

    /// The reporting currency.
    pub fn base_currency(&self) -> Currency {
        self.base_currency
    }

    /// The log, in date order.
    pub fn transactions(&self) -> &[Transaction] {
        &self.transactions
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

    /// Checks what the ledger replay does not: the date, and the fee (a public
    /// field, so it may bypass [`Transaction::with_fee`]).
    fn check_date(&self, tx: &Transaction) -> Result<()> {
        if tx.date > self.today {
            return Err(Error::FutureDate {
                date: tx.date,
                today: self.today,
            });
        }
        crate::transaction::check_fee(tx.fee)
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
    /// [`Error::FutureDate`], [`Error::InvalidField`] (a negative `fee`),
    /// [`Error::Oversold`], [`Error::InsufficientCash`],
    /// [`Error::CurrencyMismatch`] or [`Error::UnknownPosition`], naming the
    /// field; the portfolio is unchanged.
    pub fn insert(&mut self, tx: Transaction) -> Result<()> {
        self.check_date(&tx)?;
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
        self.check_date(&tx)?;
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
                Ok(tx) => good.push((line, tx)),
                Err(errs) => errors.extend(errs.iter().map(|e| row_error(line, e))),
            }
        }
        good.sort_by_key(|(_, t)| t.date);
        let mut work = self.clone();
        let mut imported = 0;
        for (line, tx) in good {
            match work.insert(tx) {
                Ok(()) => imported += 1,
                Err(e) => errors.push(row_error(line, &e)),
            }
        }
        errors.sort_by_key(|e| e.line);
        if !errors.is_empty() && !skip_invalid {
            return Err(Error::Import { errors });
        }
        *self = work;
        Ok(ImportReport {
            imported,
            skipped: errors,
        })
    }
}

pub(crate) fn row_error(line: usize, e: &Error) -> crate::RowError {
    crate::RowError {
        line,
        field: e.field().unwrap_or("row").to_owned(),
        reason: e.reason(),
    }
}
