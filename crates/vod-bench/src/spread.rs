//! The one summary every figure of the bench gets: median, min, max and count.

use serde::Serialize;

/// Median (the mean of the middle two for an even count, as Python's `statistics.median`),
/// min, max and count of some measurements.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Spread {
    pub median: f64,
    pub min: f64,
    pub max: f64,
    pub n: usize,
}

impl Spread {
    /// `None` for no values.
    pub fn of(mut values: Vec<f64>) -> Option<Self> {
        values.sort_by(f64::total_cmp);
        let n = values.len();
        let (&min, &max) = (values.first()?, values.last()?);
        let median = if n % 2 == 1 {
            values[n / 2]
        } else {
            (values[n / 2 - 1] + values[n / 2]) / 2.0
        };
        Some(Self {
            median,
            min,
            max,
            n,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Spread;

    #[test]
    fn an_even_count_takes_the_mean_of_the_middle_two() {
        let spread = Spread::of(vec![4.0, 1.0, 3.0, 2.0]).unwrap();
        assert_eq!(
            spread,
            Spread {
                median: 2.5,
                min: 1.0,
                max: 4.0,
                n: 4
            }
        );
        assert_eq!(Spread::of(vec![3.0, 1.0, 2.0]).unwrap().median, 2.0);
        assert_eq!(Spread::of(Vec::new()), None);
    }
}
