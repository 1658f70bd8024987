//! Which of a WhatsApp date's three numbers is the day, the month and the year. One line cannot
//! tell (`01/02/21`), so the whole file is read first: an order is possible when every header's
//! date is a real calendar date under it. When several remain, the sequence of dates decides only
//! if it is decisive (one order keeps the dates in sequence, the others jump back and forth);
//! otherwise the user must say, with `--date-order`.

use crate::DateOrder;

/// The orders considered, in a fixed order.
pub const ORDERS: [DateOrder; 3] = [DateOrder::Dmy, DateOrder::Mdy, DateOrder::Ymd];

/// (year, month, day) from the three numbers under `order`, or `None` when not a real date.
pub fn ymd(order: DateOrder, n: [u32; 3], digits: [u8; 3]) -> Option<(i16, i8, i8)> {
    let (y, yd, m, d) = match order {
        DateOrder::Dmy => (n[2], digits[2], n[1], n[0]),
        DateOrder::Mdy => (n[2], digits[2], n[0], n[1]),
        DateOrder::Ymd => (n[0], digits[0], n[1], n[2]),
    };
    // Day and month never have more than two digits; a four-digit number is a year.
    let other_digits = match order {
        DateOrder::Dmy | DateOrder::Mdy => [digits[0], digits[1]],
        DateOrder::Ymd => [digits[1], digits[2]],
    };
    if other_digits.iter().any(|&d| d > 2) {
        return None;
    }
    let year = match yd {
        // WhatsApp exists since 2009: a two-digit year is 20YY.
        2 => 2000 + y,
        4 => y,
        _ => return None,
    };
    if !(1..=12).contains(&m) || d == 0 || year > 9999 {
        return None;
    }
    let year = i16::try_from(year).ok()?;
    let dim = jiff::civil::Date::new(year, m as i8, 1)
        .ok()?
        .days_in_month();
    (d as i8 <= dim).then_some((year, m as i8, d as i8))
}

/// Evidence gathered over a file's headers.
#[derive(Debug, Default, Clone)]
pub struct Evidence {
    /// Headers seen.
    pub headers: u64,
    /// Per order: headers whose date is not a real date under it.
    pub invalid: [u64; 3],
    /// Per order: the first line whose date is not real under it.
    pub first_invalid: [Option<u64>; 3],
    /// Per order: steps where the date goes back from one header to the next.
    pub backwards: [u64; 3],
    last: [Option<(i16, i8, i8)>; 3],
    short_year_first: bool,
    /// Per order: the earliest and latest date and time, and whether it had seconds.
    pub bounds: [Option<(Stamp, Stamp)>; 3],
    /// Media file names with a date in them (`IMG-20241202-WA0001.jpg`) seen on header lines.
    pub media_dates: u64,
    /// Per order: how many of those dates equal the header's date under it.
    pub media_agree: [u64; 3],
    /// The times the chat comes back to, per order.
    pub revisits: Revisits,
}

/// A header's date and time packed into one number that sorts as the time does: year, month,
/// day, hour (24-hour), minute and second (capped at 59, as the import reads it).
pub fn clock_stamp(date: (i16, i8, i8), clock: (u32, u32, u32)) -> u64 {
    let (y, m, d) = date;
    // Years fit in 16 bits (four digits at most), the rest in 8 each.
    ((y as u16 as u64) << 40)
        | ((m as u8 as u64) << 32)
        | ((d as u8 as u64) << 24)
        | (u64::from(clock.0.min(255)) << 16)
        | (u64::from(clock.1.min(255)) << 8)
        | u64::from(clock.2.min(59))
}

/// The times a chat comes back to, per date order. A message's derived id counts the earlier
/// messages with the same time, author and text (spec 5.6). While times only go forward, those
/// are all in the run of messages at the current time; only a time the chat comes back to (a
/// clock change, a DST fold, a message out of order) can have earlier messages elsewhere. The
/// first pass finds those times, so the second keeps counts for them alone and memory does not
/// grow with the number of messages.
#[derive(Debug, Default, Clone)]
pub struct Revisits {
    latest: [Option<u64>; 3],
    previous: [Option<u64>; 3],
    /// Per order: the stamps ([`clock_stamp`]) of the times met again after other times.
    pub times: [std::collections::HashSet<u64>; 3],
}

impl Revisits {
    /// Adds one header's date under the order of index `k` in [`ORDERS`], and its clock (hour
    /// in 24-hour form, minute, second or 0).
    fn add(&mut self, k: usize, date: (i16, i8, i8), clock: (u32, u32, u32)) {
        let stamp = clock_stamp(date, clock);
        match self.latest[k] {
            Some(latest) if stamp <= latest => {
                if self.previous[k] != Some(stamp) {
                    self.times[k].insert(stamp);
                }
            }
            _ => self.latest[k] = Some(stamp),
        }
        self.previous[k] = Some(stamp);
    }
}

/// How an order was decided, when more than one fitted every date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    /// Only one order makes every date real.
    Dates,
    /// The dates of the media files the lines name (WhatsApp puts the day in their names).
    MediaNames,
    /// One order keeps the dates in sequence, the others jump back and forth.
    Sequence,
}

/// The date in a WhatsApp media file name on a line: Android `IMG-20241202-WA0001.jpg`
/// (also VID, PTT, AUD, DOC, STK) or iOS `00000001-PHOTO-2019-06-20-16-00-15.jpg`.
pub fn media_date(line: &str) -> Option<(i16, i8, i8)> {
    let b = line.as_bytes();
    let num = |s: &[u8]| -> Option<u32> {
        s.iter().try_fold(0u32, |v, c| {
            c.is_ascii_digit().then(|| v * 10 + u32::from(c - b'0'))
        })
    };
    let date = |y: u32, m: u32, d: u32| -> Option<(i16, i8, i8)> {
        let (y, m, d) = (
            i16::try_from(y).ok()?,
            i8::try_from(m).ok()?,
            i8::try_from(d).ok()?,
        );
        jiff::civil::Date::new(y, m, d).ok().map(|_| (y, m, d))
    };
    // Most lines name no file: without a dash or a `<` there is nothing to find.
    memchr::memchr2(b'-', b'<', b)?;
    if let Some(i) = memchr::memmem::find(b, b"-WA") {
        // "XXX-YYYYMMDD-WA"
        if i >= 12 && b[i - 9] == b'-' {
            let ymd = num(&b[i - 8..i])?;
            return date(ymd / 10000, ymd / 100 % 100, ymd % 100);
        }
        return None;
    }
    if memchr::memchr(b'<', b).is_some() {
        for kind in [
            &b"-PHOTO-"[..],
            b"-VIDEO-",
            b"-AUDIO-",
            b"-STICKER-",
            b"-GIF-",
        ] {
            if let Some(i) = memchr::memmem::find(b, kind) {
                let r = b.get(i + kind.len()..i + kind.len() + 10)?;
                if r[4] == b'-' && r[7] == b'-' {
                    return date(num(&r[..4])?, num(&r[5..7])?, num(&r[8..10])?);
                }
            }
        }
    }
    None
}

/// A date and time as numbers (year, month, day, hour, minute, second), and whether the source
/// wrote the seconds.
pub type Stamp = ((i16, i8, i8, u32, u32, u32), bool);

impl Evidence {
    /// Adds the date of a media file named on a header line with these date numbers.
    pub fn add_media(&mut self, n: [u32; 3], digits: [u8; 3], file_date: (i16, i8, i8)) {
        self.media_dates += 1;
        for (k, order) in ORDERS.into_iter().enumerate() {
            if ymd(order, n, digits) == Some(file_date) {
                self.media_agree[k] += 1;
            }
        }
    }

    /// Adds one header's date, its time (hour, minute, second as written) and its clock as the
    /// import reads it ([`Header::clock`](super::header::Header::clock)).
    pub fn add(
        &mut self,
        n: [u32; 3],
        digits: [u8; 3],
        time: (u32, u32, Option<u32>),
        clock: Option<(u32, u32, u32)>,
        line: u64,
    ) {
        self.headers += 1;
        if digits[0] <= 2 {
            self.short_year_first = true;
        }
        for (k, order) in ORDERS.into_iter().enumerate() {
            match ymd(order, n, digits) {
                Some(date) => {
                    if let Some(clock) = clock {
                        self.revisits.add(k, date, clock);
                    }
                    if self.last[k].is_some_and(|l| date < l) {
                        self.backwards[k] += 1;
                    }
                    self.last[k] = Some(date);
                    let stamp: Stamp = (
                        (date.0, date.1, date.2, time.0, time.1, time.2.unwrap_or(0)),
                        time.2.is_some(),
                    );
                    match &mut self.bounds[k] {
                        None => self.bounds[k] = Some((stamp, stamp)),
                        Some((lo, hi)) => {
                            if stamp.0 < lo.0 {
                                *lo = stamp;
                            }
                            if stamp.0 > hi.0 {
                                *hi = stamp;
                            }
                        }
                    }
                }
                None => {
                    self.invalid[k] += 1;
                    self.first_invalid[k].get_or_insert(line);
                }
            }
        }
    }

    /// The order, among those considered, with the fewest impossible dates, and the first line
    /// with one under it: where to point when no order fits.
    pub fn closest(&self) -> (DateOrder, Option<u64>) {
        let k = (0..3)
            .filter(|&k| !(self.short_year_first && ORDERS[k] == DateOrder::Ymd))
            .min_by_key(|&k| self.invalid[k])
            .unwrap_or(0);
        (ORDERS[k], self.first_invalid[k])
    }

    /// The orders under which every date is real. A two-digit year first (`YY-MM-DD`) is never
    /// a candidate (only `--date-order ymd` selects it): no export seen writes it, while
    /// `DD-MM-YY` files that would also fit it are common (whatstk's lorem.txt), and a file with
    /// one mistyped date (`30/02/20`) must fail at that line rather than be read as 2030.
    pub fn possible(&self) -> Vec<DateOrder> {
        let all: Vec<DateOrder> = ORDERS
            .into_iter()
            .enumerate()
            .filter(|(k, _)| self.invalid[*k] == 0)
            .map(|(_, o)| o)
            .collect();
        if self.short_year_first {
            all.into_iter().filter(|o| *o != DateOrder::Ymd).collect()
        } else {
            all
        }
    }

    /// The decision: `Ok(order, basis)` or `Err(candidates)` when the file cannot tell.
    pub fn decide(&self) -> Result<(DateOrder, Basis), Vec<DateOrder>> {
        let possible = self.possible();
        match possible.as_slice() {
            [one] => Ok((*one, Basis::Dates)),
            [] => Err(possible),
            many => {
                // The media files' own dates: the order under which most of them fall on the
                // day of their line, if it is a majority and strictly ahead of the others.
                let agree = |o: &DateOrder| {
                    self.media_agree[ORDERS.iter().position(|x| x == o).unwrap_or(0)]
                };
                let mut by_media: Vec<DateOrder> = many.to_vec();
                by_media.sort_by_key(|o| std::cmp::Reverse(agree(o)));
                let top = agree(&by_media[0]);
                if top * 2 > self.media_dates && by_media[1..].iter().all(|o| agree(o) < top) {
                    return Ok((by_media[0], Basis::MediaNames));
                }
                // Decisive sequence: the best order goes back at most once per hundred headers,
                // every other goes back at least three times and ten times as often.
                let back =
                    |o: &DateOrder| self.backwards[ORDERS.iter().position(|x| x == o).unwrap_or(0)];
                let mut sorted: Vec<DateOrder> = many.to_vec();
                sorted.sort_by_key(back);
                let best = back(&sorted[0]);
                let others_ok = sorted[1..]
                    .iter()
                    .all(|o| back(o) >= 3 && back(o) >= best.saturating_mul(10));
                if best <= self.headers / 100 && others_ok {
                    Ok((sorted[0], Basis::Sequence))
                } else {
                    Err(many.to_vec())
                }
            }
        }
    }
}

/// The option value for an order, as the user types it.
pub fn name(o: DateOrder) -> &'static str {
    match o {
        DateOrder::Dmy => "dmy",
        DateOrder::Mdy => "mdy",
        DateOrder::Ymd => "ymd",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn evidence(dates: &[[u32; 3]], digits: [u8; 3]) -> Evidence {
        let mut e = Evidence::default();
        for (i, d) in dates.iter().enumerate() {
            e.add(*d, digits, (10, 0, None), Some((10, 0, 0)), i as u64 + 1);
        }
        e
    }

    #[test]
    fn one_day_over_twelve_decides() {
        let e = evidence(&[[1, 1, 19], [20, 1, 19], [10, 6, 20]], [2, 2, 2]);
        assert_eq!(e.decide(), Ok((DateOrder::Dmy, Basis::Dates)));
        let e = evidence(&[[1, 1, 2019], [1, 20, 2019]], [2, 2, 4]);
        assert_eq!(e.decide(), Ok((DateOrder::Mdy, Basis::Dates)));
    }

    #[test]
    fn small_days_stay_ambiguous() {
        let e = evidence(&[[1, 2, 2019], [3, 4, 2019], [5, 6, 2019]], [2, 2, 4]);
        assert_eq!(e.decide(), Err(vec![DateOrder::Dmy, DateOrder::Mdy]));
    }

    #[test]
    fn two_digit_year_first_is_never_guessed() {
        // whatstk's lorem.txt: [15-01-20 ...] is 15 January 2020, not 20 January 2015.
        let mut dates = Vec::new();
        for m in 1..=6 {
            for d in [2, 9, 15, 22, 28] {
                dates.push([d, m, 20]);
            }
        }
        let e = evidence(&dates, [2, 2, 2]);
        assert_eq!(e.possible(), vec![DateOrder::Dmy]);
        assert_eq!(e.decide(), Ok((DateOrder::Dmy, Basis::Dates)));
        // Year first with two digits is never guessed, even when nothing else fits: a typo
        // like 30/02/20 must not turn every date into 20YY.
        let e = evidence(&[[25, 1, 20], [30, 2, 20]], [2, 2, 2]);
        assert_eq!(e.decide(), Err(vec![]));
        assert_eq!(e.first_invalid[0], Some(2));
    }

    #[test]
    fn a_decisive_sequence_settles_day_and_month() {
        // Day first: 1, 5, 9 February, 3, 7, 11 March, 2, 6 April, 1 May. Month first would jump
        // from September back to March, from November back to February, and so on.
        let dates = [
            [1, 2, 20],
            [5, 2, 20],
            [9, 2, 20],
            [3, 3, 20],
            [7, 3, 20],
            [11, 3, 20],
            [2, 4, 20],
            [6, 4, 20],
            [1, 5, 20],
        ];
        let e = evidence(&dates, [1, 1, 2]);
        assert_eq!(e.possible(), vec![DateOrder::Dmy, DateOrder::Mdy]);
        assert_eq!(e.decide(), Ok((DateOrder::Dmy, Basis::Sequence)));
        // Two orders that both run in sequence stay ambiguous.
        let e = evidence(&[[1, 2, 20], [1, 3, 20], [2, 3, 20]], [1, 1, 2]);
        assert!(e.decide().is_err());
    }

    #[test]
    fn media_file_names_settle_day_and_month() {
        assert_eq!(
            media_date("IMG-20241202-WA0001.jpg (file attached)"),
            Some((2024, 12, 2))
        );
        assert_eq!(
            media_date("\u{200E}<attached: 00000001-PHOTO-2019-06-20-16-00-15.jpg>"),
            Some((2019, 6, 20))
        );
        assert_eq!(media_date("plain text - WA"), None);
        let mut e = evidence(&[[1, 12, 2024], [2, 12, 2024]], [2, 2, 4]);
        assert!(e.decide().is_err());
        e.add_media([2, 12, 2024], [2, 2, 4], (2024, 12, 2));
        assert_eq!(e.decide(), Ok((DateOrder::Dmy, Basis::MediaNames)));
        // A file date that fits no order (sent near midnight, say) decides nothing.
        let mut e = evidence(&[[1, 12, 2024], [2, 12, 2024]], [2, 2, 4]);
        e.add_media([2, 12, 2024], [2, 2, 4], (2024, 12, 3));
        assert!(e.decide().is_err());
    }

    #[test]
    fn leap_days_and_four_digit_years() {
        assert_eq!(
            ymd(DateOrder::Dmy, [29, 2, 2024], [2, 1, 4]),
            Some((2024, 2, 29))
        );
        assert_eq!(ymd(DateOrder::Dmy, [29, 2, 2023], [2, 1, 4]), None);
        assert_eq!(
            ymd(DateOrder::Ymd, [2019, 1, 20], [4, 2, 2]),
            Some((2019, 1, 20))
        );
        assert_eq!(ymd(DateOrder::Dmy, [2019, 1, 20], [4, 2, 2]), None);
    }
}
