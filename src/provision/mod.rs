//! The pure core: decisions over plain data, no IO. Commands read the state, ask this module
//! what to do, and carry it out through `dci` and `billmgr`.
