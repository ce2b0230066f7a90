//! Which fields each part of a definition allows: one table for the eight state types, and the
//! short lists for the top level, `Retry` and `Catch` entries.

use serde_json::{Map, Value};

use crate::error::DefinitionError;

/// The state types, as a set of bits so one table row can name several.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Types(u8);

impl Types {
    const PASS: Self = Self(1);
    const TASK: Self = Self(1 << 1);
    const CHOICE: Self = Self(1 << 2);
    const WAIT: Self = Self(1 << 3);
    const SUCCEED: Self = Self(1 << 4);
    const FAIL: Self = Self(1 << 5);
    const PARALLEL: Self = Self(1 << 6);
    const MAP: Self = Self(1 << 7);
    const ALL: Self = Self(u8::MAX);
    /// Every type but Fail: the ones that have an effective input and output.
    const WITH_IO: Self = Self(!Self::FAIL.0);
    /// The types that continue with `Next`/`End`.
    const CONTINUING: Self = Self::PASS
        .or(Self::TASK)
        .or(Self::WAIT)
        .or(Self::PARALLEL)
        .or(Self::MAP);
    /// The types that produce a result (`ResultPath`, `Parameters`).
    const RESULTING: Self = Self::PASS.or(Self::TASK).or(Self::PARALLEL).or(Self::MAP);
    /// The types that can fail and recover (`Retry`, `Catch`, `ResultSelector`).
    const RECOVERING: Self = Self::TASK.or(Self::PARALLEL).or(Self::MAP);

    const fn or(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// The type named by a state's `Type`, if it is one.
    pub(super) fn named(type_name: &str) -> Option<Self> {
        Some(match type_name {
            "Pass" => Self::PASS,
            "Task" => Self::TASK,
            "Choice" => Self::CHOICE,
            "Wait" => Self::WAIT,
            "Succeed" => Self::SUCCEED,
            "Fail" => Self::FAIL,
            "Parallel" => Self::PARALLEL,
            "Map" => Self::MAP,
            _ => return None,
        })
    }

    fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }
}

/// Each state field and the types that allow it.
const STATE_FIELDS: &[(&str, Types)] = &[
    ("Type", Types::ALL),
    ("Comment", Types::ALL),
    ("QueryLanguage", Types::ALL),
    ("InputPath", Types::WITH_IO),
    ("OutputPath", Types::WITH_IO),
    ("Assign", Types::CONTINUING.or(Types::CHOICE)),
    ("Next", Types::CONTINUING),
    ("End", Types::CONTINUING),
    ("ResultPath", Types::RESULTING),
    ("Parameters", Types::RESULTING),
    ("ResultSelector", Types::RECOVERING),
    ("Retry", Types::RECOVERING),
    ("Catch", Types::RECOVERING),
    ("Result", Types::PASS),
    ("Resource", Types::TASK),
    ("TimeoutSeconds", Types::TASK),
    ("TimeoutSecondsPath", Types::TASK),
    ("HeartbeatSeconds", Types::TASK),
    ("HeartbeatSecondsPath", Types::TASK),
    ("Credentials", Types::TASK),
    ("Choices", Types::CHOICE),
    ("Default", Types::CHOICE),
    ("Seconds", Types::WAIT),
    ("Timestamp", Types::WAIT),
    ("SecondsPath", Types::WAIT),
    ("TimestampPath", Types::WAIT),
    ("Error", Types::FAIL),
    ("ErrorPath", Types::FAIL),
    ("Cause", Types::FAIL),
    ("CausePath", Types::FAIL),
    ("Branches", Types::PARALLEL),
    ("ItemProcessor", Types::MAP),
    ("Iterator", Types::MAP),
    ("ItemsPath", Types::MAP),
    ("ItemSelector", Types::MAP),
    ("ItemReader", Types::MAP),
    ("ItemBatcher", Types::MAP),
    ("ResultWriter", Types::MAP),
    ("MaxConcurrency", Types::MAP),
    ("MaxConcurrencyPath", Types::MAP),
    ("ToleratedFailureCount", Types::MAP),
    ("ToleratedFailureCountPath", Types::MAP),
    ("ToleratedFailurePercentage", Types::MAP),
    ("ToleratedFailurePercentagePath", Types::MAP),
    ("Label", Types::MAP),
];

/// Fields only JSONata states have: rejected as unsupported rather than unknown.
const JSONATA_STATE_FIELDS: &[&str] = &["Arguments", "Output", "Items"];

/// The fields a definition allows at its top level.
pub(super) const TOP_LEVEL_FIELDS: &[&str] = &[
    "StartAt",
    "States",
    "Comment",
    "Version",
    "TimeoutSeconds",
    "QueryLanguage",
];

/// The fields an entry of a `Retry` or `Catch` list allows.
#[derive(Debug)]
pub(super) struct EntryFields {
    /// `Retry` or `Catch`, as messages name it.
    pub(super) list: &'static str,
    /// The fields it allows.
    pub(super) allowed: &'static [&'static str],
    /// Fields only JSONata allows there: rejected as unsupported rather than unknown.
    pub(super) jsonata: &'static [&'static str],
}

/// A `Retry` entry.
pub(super) const RETRIER: EntryFields = EntryFields {
    list: "Retry",
    allowed: &[
        "ErrorEquals",
        "IntervalSeconds",
        "MaxAttempts",
        "BackoffRate",
        "MaxDelaySeconds",
        "JitterStrategy",
        "Comment",
    ],
    jsonata: &[],
};

/// A `Catch` entry.
pub(super) const CATCHER: EntryFields = EntryFields {
    list: "Catch",
    allowed: &["ErrorEquals", "Next", "ResultPath", "Assign", "Comment"],
    jsonata: &["Output"],
};

/// Rejects the first field of a state that its type does not allow.
pub(super) fn check_state_fields(
    obj: &Map<String, Value>,
    type_name: &str,
    ty: Types,
    loc: &str,
) -> Result<(), DefinitionError> {
    for key in obj.keys() {
        let allowed = STATE_FIELDS
            .iter()
            .any(|(field, types)| field == key && types.contains(ty));
        if allowed {
            continue;
        }
        if JSONATA_STATE_FIELDS.contains(&key.as_str()) {
            return Err(DefinitionError::Unsupported {
                location: format!("{loc}/{key}"),
                feature: format!("JSONata field '{key}'"),
            });
        }
        return Err(DefinitionError::schema(
            loc,
            format!("field '{key}' is not supported by state type {type_name}"),
        ));
    }
    Ok(())
}

/// Rejects the first field of a `Retry`/`Catch` entry that the list does not allow.
pub(super) fn check_entry_fields(
    obj: &Map<String, Value>,
    entry: &EntryFields,
    loc: &str,
) -> Result<(), DefinitionError> {
    for k in obj.keys() {
        if entry.allowed.contains(&k.as_str()) {
            continue;
        }
        if entry.jsonata.contains(&k.as_str()) {
            return Err(DefinitionError::Unsupported {
                location: loc.to_string(),
                feature: format!("JSONata '{k}' in {}", entry.list),
            });
        }
        return Err(DefinitionError::schema(
            loc,
            format!("unknown field '{k}' in {}", entry.list),
        ));
    }
    Ok(())
}
