// Checks for intro1: nothing to fix; they only show that the checks run at all.
//
// The one mistake possible here is changing the file; the checks then say how to put it back
// (`asynclings reset intro1`).

use super::{main, workbook};

#[test]
fn the_workbook_has_a_name() {
    let name: &str = workbook();
    assert_eq!(
        name, "asynclings",
        "workbook() returned {name:?}; intro1 has nothing to fix, so put the file back as it was \
         (`asynclings reset intro1`)"
    );
}

#[test]
fn main_runs() {
    main();
}
