//! Choosing what to grade: `--only` (topics and exercise names) or an assignment file.

use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use crate::info_file::Located;
use crate::workbook::Workbook;

/// An assignment file: which exercises count, and points that differ from info.toml's.
///
/// ```toml
/// exercises = ["03_join", "select1"]   # topic directories and exercise names
/// [points]
/// join4 = 3
/// ```
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Assignment {
    exercises: toml::Spanned<Vec<toml::Spanned<String>>>,
    #[serde(default)]
    points: std::collections::BTreeMap<toml::Spanned<String>, u32>,
}

/// Exercises named by topic directory or by name, in curriculum order, with their points.
pub fn only(wb: &Workbook, list: &str) -> Result<Vec<(usize, u32)>> {
    let items: Vec<&str> = list
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let mut chosen = vec![false; wb.exercises.len()];
    for item in items {
        mark(wb, item, &mut chosen).map_err(|err| anyhow::anyhow!("--only: {err}"))?;
    }
    Ok(selected(wb, &chosen, |_| None))
}

fn mark(wb: &Workbook, item: &str, chosen: &mut [bool]) -> Result<()> {
    let mut found = false;
    for (idx, ex) in wb.exercises.iter().enumerate() {
        if ex.name == item || ex.dir.as_deref() == Some(item) {
            chosen[idx] = true;
            found = true;
        }
    }
    if !found {
        let topics: Vec<&str> = wb
            .exercises
            .iter()
            .filter_map(|ex| ex.dir.as_deref())
            .collect();
        if let Some(topic) = topics
            .iter()
            .find(|t| t.starts_with(item) || t.ends_with(item))
        {
            bail!("there is no topic or exercise `{item}`: did you mean the topic `{topic}`?");
        }
        wb.find(item)?;
    }
    Ok(())
}

fn selected(
    wb: &Workbook,
    chosen: &[bool],
    points: impl Fn(&str) -> Option<u32>,
) -> Vec<(usize, u32)> {
    (0..wb.exercises.len())
        .filter(|&idx| chosen[idx])
        .map(|idx| {
            let ex = &wb.exercises[idx];
            (idx, points(&ex.name).unwrap_or(ex.points))
        })
        .collect()
}

/// Reads an assignment file, with errors that name its line and column.
pub fn read(wb: &Workbook, path: &Path) -> Result<Vec<(usize, u32)>> {
    let source = std::fs::read_to_string(path)
        .with_context(|| format!("failed to read the assignment `{}`", path.display()))?;
    let file = Located {
        path,
        source: &source,
    };
    let at = |span: std::ops::Range<usize>, message: &str| file.error(span, message);
    let assignment: Assignment = toml::from_str(&source).map_err(|err| match err.span() {
        Some(span) => at(span, err.message()),
        None => anyhow::anyhow!("{}: {}", path.display(), err.message()),
    })?;
    let mut chosen = vec![false; wb.exercises.len()];
    for item in assignment.exercises.get_ref() {
        mark(wb, item.get_ref(), &mut chosen).map_err(|err| at(item.span(), &err.to_string()))?;
    }
    for name in assignment.points.keys() {
        let idx = wb
            .find(name.get_ref())
            .map_err(|err| at(name.span(), &err.to_string()))?;
        if !chosen[idx] {
            return Err(at(
                name.span(),
                &format!("`{}` has points but is not in `exercises`", name.get_ref()),
            ));
        }
    }
    if !chosen.contains(&true) {
        return Err(at(
            assignment.exercises.span(),
            "the assignment lists no exercises",
        ));
    }
    let points: std::collections::HashMap<String, u32> = assignment
        .points
        .iter()
        .map(|(k, v)| (k.get_ref().clone(), *v))
        .collect();
    Ok(selected(wb, &chosen, |name| points.get(name).copied()))
}
