//! The asset lifecycle and its allowed transitions.
//!
//! ```text
//! UPLOADED → PROBING → PROBED → TRANSCODING → COMPLETE
//!               └→ REJECTED          any non-final state → FAILED
//! ```
//! An illegal transition is an error, never a silent overwrite: a late or duplicated event
//! cannot move a COMPLETE asset back to TRANSCODING.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AssetStatus {
    Uploaded,
    Probing,
    Probed,
    Transcoding,
    Complete,
    Rejected,
    Failed,
}

impl AssetStatus {
    pub const ALL: [AssetStatus; 7] = [
        Self::Uploaded,
        Self::Probing,
        Self::Probed,
        Self::Transcoding,
        Self::Complete,
        Self::Rejected,
        Self::Failed,
    ];

    /// No transition leaves a final state.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Complete | Self::Rejected | Self::Failed)
    }

    pub fn can_become(self, next: AssetStatus) -> bool {
        use AssetStatus::*;
        match (self, next) {
            (from, Failed) => !from.is_final(),
            (Uploaded, Probing)
            | (Probing, Probed)
            | (Probing, Rejected)
            | (Probed, Transcoding)
            | (Transcoding, Complete) => true,
            _ => false,
        }
    }

    /// Checks a transition; the error names both ends so logs say what was refused.
    pub fn check_transition(self, next: AssetStatus) -> Result<(), IllegalTransition> {
        if self.can_become(next) {
            Ok(())
        } else {
            Err(IllegalTransition {
                from: self,
                to: next,
            })
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Uploaded => "UPLOADED",
            Self::Probing => "PROBING",
            Self::Probed => "PROBED",
            Self::Transcoding => "TRANSCODING",
            Self::Complete => "COMPLETE",
            Self::Rejected => "REJECTED",
            Self::Failed => "FAILED",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(text))
    }
}

impl fmt::Display for AssetStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an asset cannot go from {from} to {to}")]
pub struct IllegalTransition {
    pub from: AssetStatus,
    pub to: AssetStatus,
}

#[cfg(test)]
mod tests {
    use super::AssetStatus::*;
    use super::*;

    #[test]
    fn the_happy_path_is_allowed() {
        for pair in [Uploaded, Probing, Probed, Transcoding, Complete].windows(2) {
            assert!(pair[0].can_become(pair[1]), "{} -> {}", pair[0], pair[1]);
        }
        assert!(Probing.can_become(Rejected));
    }

    #[test]
    fn failed_from_every_non_final_state_only() {
        for s in AssetStatus::ALL {
            assert_eq!(s.can_become(Failed), !s.is_final(), "{s}");
        }
    }

    #[test]
    fn nothing_leaves_a_final_state() {
        for from in [Complete, Rejected, Failed] {
            for to in AssetStatus::ALL {
                assert!(from.check_transition(to).is_err(), "{from} -> {to}");
            }
        }
    }

    #[test]
    fn no_skipping_or_going_back() {
        assert!(Uploaded.check_transition(Transcoding).is_err());
        assert!(Transcoding.check_transition(Probed).is_err());
        assert!(Probed.check_transition(Rejected).is_err());
        assert!(Transcoding.check_transition(Transcoding).is_err());
        let err = Complete.check_transition(Transcoding).unwrap_err();
        assert_eq!(
            err.to_string(),
            "an asset cannot go from COMPLETE to TRANSCODING"
        );
    }

    #[test]
    fn parse_round_trips() {
        for s in AssetStatus::ALL {
            assert_eq!(AssetStatus::parse(s.as_str()), Some(s));
            assert_eq!(
                serde_json::to_value(s).ok(),
                Some(serde_json::json!(s.as_str()))
            );
        }
    }
}
