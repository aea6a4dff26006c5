//! `mgrctl-stand-in --root R -m billmgr [-o xml] <func> [k=v ...]`: BILLmanager's `mgrctl` for
//! pmdci6's tests; see `billmgr_stand_in::mgrctl_main`.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    billmgr_stand_in::mgrctl_main(&args)
}
