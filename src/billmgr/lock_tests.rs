//! Tests of `lock.rs`, kept apart so the module reads as the code it is.

use super::*;

#[test]
fn second_take_fails_while_held_and_succeeds_after() {
    let dir = std::env::temp_dir().join(format!("pmdci6-lock-test-{}", std::process::id()));
    let root = MgrRoot::new(&dir);
    let held = FileLock::wait(&root, "item-1").expect("first lock");
    let err = FileLock::try_take(&root, "item-1", "item 1").expect_err("busy");
    assert!(err.to_string().contains("item 1"), "{err}");
    assert!(matches!(FileLock::take_if_free(&root, "item-1"), Ok(None)));
    drop(held);
    assert!(FileLock::try_take(&root, "item-1", "item 1").is_ok());
    assert!(matches!(
        FileLock::take_if_free(&root, "item-1"),
        Ok(Some(_))
    ));
    let _ = std::fs::remove_dir_all(dir);
}
