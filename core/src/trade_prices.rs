//! Pricing what no market source knows: a holding whose symbol has no price
//! at all (a private share, a delisted ticker, a typo the user meant) is
//! valued at the user's own last trade price, or at a price the user
//! entered for it ([`OwnPrice`]) when that is more recent, so valuation,
//! performance, insights and goals keep working. The caller is told which
//! symbols were priced this way, to show them as the user's own figure, not
//! the market's, and as stale.

use std::collections::BTreeSet;

use rust_decimal::prelude::ToPrimitive as _;

use crate::{Decimal, Error, NaiveDate, Portfolio, PriceFrame, Result, Symbol, TransactionKind};

/// A price the user states for a symbol no market source knows (a private
/// share, an unlisted fund): the value of one share on `date`, in the
/// symbol's trading currency.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OwnPrice {
    /// The symbol.
    pub symbol: Symbol,
    /// The day the price is for.
    pub date: NaiveDate,
    /// The price of one share (positive).
    pub price: Decimal,
}

impl OwnPrice {
    /// A checked price: positive, on a date within the supported range
    /// and not after `today`.
    ///
    /// # Errors
    /// [`Error::InvalidField`] on `price` (zero, negative or too precise)
    /// or on `date` (after `today`); [`Error::DateOutOfRange`] on `date`.
    pub fn new(symbol: Symbol, date: NaiveDate, price: Decimal, today: NaiveDate) -> Result<Self> {
        crate::check_date("date", date)?;
        if date > today {
            return Err(Error::InvalidField {
                field: "date",
                reason: format!("{date} is after today ({today})"),
            });
        }
        if price <= Decimal::ZERO {
            return Err(Error::InvalidField {
                field: "price",
                reason: "must be more than zero".to_owned(),
            });
        }
        if price.scale() > 8 || price.to_f64().is_none_or(|p| !p.is_finite()) {
            return Err(Error::InvalidField {
                field: "price",
                reason: "at most 8 decimal places".to_owned(),
            });
        }
        Ok(Self {
            symbol,
            date,
            price,
        })
    }
}

impl Portfolio {
    /// `frame` with a column for every symbol the log trades that `frame`
    /// has no price for on any date. Each such column holds, on every date,
    /// the last buy or sell price on or before it (divided by any later
    /// split's ratio), and nothing before the first trade. When `frame` has
    /// no dates at all the trade dates are used. Also returns the symbols
    /// priced this way, in order.
    ///
    /// ```
    /// use auravest_core::{io, Currency, Portfolio, PriceFrame};
    /// let log = "date,type,symbol,quantity,price,fee,currency\n\
    ///            2024-01-02,buy,AAPL,10,100,0,USD\n\
    ///            2024-01-02,buy,ACME,5,40,0,USD\n";
    /// let mut p = Portfolio::new(Currency::USD, "2024-12-31".parse().unwrap());
    /// p.import(io::read_transactions_csv(log.as_bytes())?, false)?;
    /// let market = PriceFrame::from_csv("date,AAPL\n2024-01-02,100\n2024-01-03,110\n".as_bytes())?;
    /// // ACME is unknown to every source: valuation alone would fail.
    /// assert!(p.valuation(&market, "2024-01-03".parse().unwrap()).is_err());
    /// let (prices, own) = p.with_trade_prices(market)?;
    /// assert_eq!(own[0].as_str(), "ACME");
    /// let v = p.valuation(&prices, "2024-01-03".parse().unwrap())?;
    /// assert_eq!(v.value.to_string(), "1300"); // 10 x 110 + 5 x 40
    /// # Ok::<(), auravest_core::Error>(())
    /// ```
    ///
    /// # Errors
    /// Only if the completed frame cannot be built (it always can from a
    /// valid log and frame).
    pub fn with_trade_prices(&self, frame: PriceFrame) -> Result<(PriceFrame, Vec<Symbol>)> {
        self.with_own_prices(frame, &[])
    }

    /// As [`Portfolio::with_trade_prices`], where the user's own prices
    /// (`own_prices`) count beside the trades: on each date the column holds
    /// the latest of the two on or before it (an own price wins over a trade
    /// of the same day; later splits divide both). Own prices of symbols the
    /// market prices, or the log never trades, are ignored.
    ///
    /// ```
    /// use auravest_core::{io, Currency, Decimal, OwnPrice, Portfolio, PriceFrame};
    /// let log = "date,type,symbol,quantity,price,fee,currency\n\
    ///            2024-01-02,buy,ACME,5,40,0,USD\n";
    /// let today = "2024-12-31".parse()?;
    /// let mut p = Portfolio::new(Currency::USD, today);
    /// p.import(io::read_transactions_csv(log.as_bytes())?, false)?;
    /// let market = PriceFrame::from_csv("date,AAPL\n2024-01-02,100\n2024-01-03,110\n".as_bytes())?;
    /// let mark = OwnPrice::new("ACME".parse()?, "2024-01-03".parse()?, Decimal::from(48), today)?;
    /// let (prices, own) = p.with_own_prices(market, &[mark])?;
    /// assert_eq!(own[0].as_str(), "ACME");
    /// assert_eq!(prices.column("ACME").unwrap(), &[Some(40.0), Some(48.0)]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// As [`Portfolio::with_trade_prices`].
    pub fn with_own_prices(
        &self,
        frame: PriceFrame,
        own_prices: &[OwnPrice],
    ) -> Result<(PriceFrame, Vec<Symbol>)> {
        // Each traded symbol is looked up in the frame once.
        let mut seen: BTreeSet<&Symbol> = BTreeSet::new();
        let mut own: Vec<Symbol> = Vec::new();
        for t in self.transactions() {
            if let TransactionKind::Buy { symbol, .. } | TransactionKind::Sell { symbol, .. } =
                &t.kind
                && seen.insert(symbol)
                && !frame
                    .column(symbol.as_str())
                    .is_some_and(|c| c.iter().any(Option::is_some))
            {
                own.push(symbol.clone());
            }
        }
        if own.is_empty() {
            return Ok((frame, own));
        }
        let dates: Vec<NaiveDate> = if frame.is_empty() {
            let mut d: Vec<NaiveDate> = self
                .transactions()
                .iter()
                .filter(|t| t.symbol().is_some_and(|s| own.contains(s)))
                .map(|t| t.date)
                .chain(
                    own_prices
                        .iter()
                        .filter(|m| own.contains(&m.symbol))
                        .map(|m| m.date),
                )
                .collect();
            d.sort_unstable();
            d.dedup();
            d
        } else {
            frame.dates().to_vec()
        };
        let mut columns: Vec<(Symbol, Vec<Option<f64>>)> = frame
            .columns()
            .iter()
            .filter(|c| !own.contains(*c))
            .filter_map(|c| {
                let values = frame.column(c.as_str())?;
                let values = if frame.is_empty() {
                    vec![None; dates.len()]
                } else {
                    values.to_vec()
                };
                Some((c.clone(), values))
            })
            .collect();
        for symbol in &own {
            let mut marks: Vec<&OwnPrice> =
                own_prices.iter().filter(|m| &m.symbol == symbol).collect();
            marks.sort_by_key(|m| m.date);
            columns.push((
                symbol.clone(),
                self.trade_price_steps(symbol, &marks, &dates),
            ));
        }
        Ok((PriceFrame::new(dates, columns)?, own))
    }

    /// The last trade price of `symbol`, or own price (`marks`, in date
    /// order) when later, on or before each of `dates`.
    fn trade_price_steps(
        &self,
        symbol: &Symbol,
        marks: &[&OwnPrice],
        dates: &[NaiveDate],
    ) -> Vec<Option<f64>> {
        let mut out = Vec::with_capacity(dates.len());
        let mut log = self
            .transactions()
            .iter()
            .filter(|t| t.symbol() == Some(symbol))
            .peekable();
        let mut marks = marks.iter().peekable();
        let mut last: Option<f64> = None;
        for date in dates {
            while let Some(t) = log.next_if(|t| t.date <= *date) {
                // Own prices dated before this trade come first.
                while let Some(m) = marks.next_if(|m| m.date < t.date) {
                    last = m.price.to_f64();
                }
                match &t.kind {
                    TransactionKind::Buy { price, .. } | TransactionKind::Sell { price, .. } => {
                        last = price.get().to_f64();
                    }
                    TransactionKind::Split { ratio, .. } => {
                        let r = ratio.get().to_f64().filter(|r| *r > 0.0);
                        last = last.zip(r).map(|(p, r)| p / r);
                    }
                    _ => {}
                }
            }
            // Own prices up to this date, after the day's trades.
            while let Some(m) = marks.next_if(|m| m.date <= *date) {
                last = m.price.to_f64();
            }
            out.push(last.filter(|p| p.is_finite() && *p > 0.0));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use crate::{Currency, Portfolio, PriceFrame, io};

    fn portfolio(log: &str) -> Portfolio {
        let mut p = Portfolio::new(Currency::USD, "2030-01-01".parse().unwrap());
        let csv = format!("date,type,symbol,quantity,price,fee,currency\n{log}");
        p.import(io::read_transactions_csv(csv.as_bytes()).unwrap(), false)
            .unwrap();
        p
    }

    #[test]
    fn unknown_symbols_step_with_trades_and_splits_known_ones_are_untouched() {
        let p = portfolio(
            "2024-01-02,deposit,,,10000,0,USD\n\
             2024-01-02,buy,AAPL,10,100,0,USD\n\
             2024-01-03,buy,PRIV,10,50,0,USD\n\
             2024-01-05,buy,PRIV,10,60,0,USD\n\
             2024-01-08,split,PRIV,2,,0,USD\n",
        );
        let market = PriceFrame::from_csv(
            "date,AAPL\n2024-01-02,100\n2024-01-04,101\n2024-01-05,102\n2024-01-09,103\n"
                .as_bytes(),
        )
        .unwrap();
        let (f, own) = p.with_trade_prices(market.clone()).unwrap();
        assert_eq!(own.len(), 1);
        assert_eq!(f.column("AAPL"), market.column("AAPL"));
        assert_eq!(
            f.column("PRIV").unwrap(),
            &[None, Some(50.0), Some(60.0), Some(30.0)]
        );
        // Valued: 10 AAPL at 103, 40 PRIV (after 2:1) at 30, cash 10000-1000-500-600.
        let v = p.valuation(&f, "2024-01-09".parse().unwrap()).unwrap();
        assert_eq!(v.value.to_string(), "10130");
        // Nothing to add: the same frame back.
        let (same, none) = portfolio("2024-01-02,buy,AAPL,1,100,0,USD\n")
            .with_trade_prices(market.clone())
            .unwrap();
        assert!(none.is_empty());
        assert_eq!(same, market);
    }

    #[test]
    fn own_prices_count_when_later_than_the_trades_and_splits_divide_them() {
        use crate::{Decimal, OwnPrice};
        let p = portfolio(
            "2024-01-02,deposit,,,10000,0,USD\n\
             2024-01-02,buy,AAPL,10,100,0,USD\n\
             2024-01-03,buy,PRIV,10,50,0,USD\n\
             2024-01-08,buy,PRIV,10,60,0,USD\n\
             2024-01-09,split,PRIV,2,,0,USD\n",
        );
        let market = PriceFrame::from_csv(
            "date,AAPL\n2024-01-02,100\n2024-01-04,101\n2024-01-05,102\n2024-01-08,103\n2024-01-10,104\n"
                .as_bytes(),
        )
        .unwrap();
        let today = "2030-01-01".parse().unwrap();
        let mark = |sym: &str, d: &str, price: i64| {
            OwnPrice::new(
                sym.parse().unwrap(),
                d.parse().unwrap(),
                Decimal::from(price),
                today,
            )
            .unwrap()
        };
        let marks = [
            // Between the trades: counts from the 5th until the next trade.
            mark("PRIV", "2024-01-05", 58),
            // The market knows AAPL: ignored.
            mark("AAPL", "2024-01-05", 1),
            // The same day as a trade: the user's price wins.
            mark("PRIV", "2024-01-08", 62),
        ];
        let (f, own) = p.with_own_prices(market.clone(), &marks).unwrap();
        assert_eq!(own.len(), 1);
        assert_eq!(f.column("AAPL"), market.column("AAPL"));
        // 2nd: none; 4th: 50 (trade); 5th: 58; 8th: 62; 10th: 62 / 2 (split).
        assert_eq!(
            f.column("PRIV").unwrap(),
            &[None, Some(50.0), Some(58.0), Some(62.0), Some(31.0)]
        );
        // Without marks: the trade prices alone.
        let (t, _) = p.with_trade_prices(market).unwrap();
        assert_eq!(
            t.column("PRIV").unwrap(),
            &[None, Some(50.0), Some(50.0), Some(60.0), Some(30.0)]
        );
    }

    #[test]
    fn own_prices_are_checked() {
        use crate::{Decimal, OwnPrice};
        let today = "2024-06-30".parse().unwrap();
        let sym: crate::Symbol = "PRIV".parse().unwrap();
        let day = "2024-06-01".parse().unwrap();
        let field = |r: crate::Result<OwnPrice>| match r {
            Err(crate::Error::InvalidField { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            field(OwnPrice::new(sym.clone(), day, Decimal::ZERO, today)),
            "price"
        );
        assert_eq!(
            field(OwnPrice::new(sym.clone(), day, Decimal::from(-1), today)),
            "price"
        );
        assert_eq!(
            field(OwnPrice::new(sym.clone(), day, Decimal::new(1, 9), today)),
            "price"
        );
        assert_eq!(
            field(OwnPrice::new(
                sym.clone(),
                "2024-07-01".parse().unwrap(),
                Decimal::ONE,
                today
            )),
            "date"
        );
        assert!(OwnPrice::new(sym, day, Decimal::new(1234, 2), today).is_ok());
    }

    #[test]
    fn with_no_market_data_at_all_the_trade_dates_carry_the_prices() {
        let p = portfolio(
            "2024-01-02,buy,PRIV,10,50,0,USD\n\
             2024-01-05,sell,PRIV,5,55,0,USD\n",
        );
        let empty = PriceFrame::new(Vec::new(), Vec::new()).unwrap();
        let (f, own) = p.with_trade_prices(empty).unwrap();
        assert_eq!(own[0].as_str(), "PRIV");
        assert_eq!(f.dates().len(), 2);
        assert_eq!(f.column("PRIV").unwrap(), &[Some(50.0), Some(55.0)]);
    }
}
