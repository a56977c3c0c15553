//! The curriculum itself: `dev check` on the repository's own workbook proves that every
//! exercise fails as shipped, every solution passes and every wrong fix is rejected.

use std::process::Command;

#[test]
fn every_exercise_fails_as_shipped_and_every_solution_passes() {
    let out = Command::new(env!("CARGO_BIN_EXE_asynclings"))
        .args(["dev", "check"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "dev check failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("exercises are sound"), "{stdout}");
}
