//! One file per command, thin: read state, ask `provision`, act, report.
