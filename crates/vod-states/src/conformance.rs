//! Conformance harness (filled in next).
