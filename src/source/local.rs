//! Local files and folders.
//!
//! Folders are walked recursively, sub-folders in parallel; the inventory
//! is sorted once walked. Inside a CloudTrail layout
//! (`.../AWSLogs/...`) whole folders are pruned by account, Region and date
//! before they are listed, as the S3 source does with prefixes. A file named
//! on the command line is always read, whatever its name; a file found in a
//! folder is read if its name ends in `.json.gz`, `.json` or `.gz`.

use std::fs;
use std::path::{Component, Path};

use rayon::prelude::*;

use super::layout::{self, Filters};
use super::{Inventory, Location, SkippedInput};

/// Builds the inventory of local sources.
pub fn discover(sources: &[impl AsRef<Path>], filters: &Filters) -> Inventory {
    let mut inventory = Inventory::default();
    for source in sources {
        let path = source.as_ref();
        match fs::metadata(path) {
            Ok(meta) if meta.is_dir() => walk_dir(path, filters, &mut inventory),
            Ok(meta) => add_file(path, meta.len(), true, filters, &mut inventory),
            Err(e) => inventory
                .unreadable
                .push(skipped(path, format!("cannot read: {e}"))),
        }
    }
    inventory.sort();
    inventory
}

fn skipped(path: &Path, reason: String) -> SkippedInput {
    SkippedInput {
        path: path.display().to_string(),
        reason,
    }
}

/// Path components as text, for the layout functions.
fn components(path: &Path) -> Vec<&str> {
    path.components()
        .filter_map(|c| match c {
            Component::Normal(s) => s.to_str(),
            _ => None,
        })
        .collect()
}

fn walk_dir(dir: &Path, filters: &Filters, inventory: &mut Inventory) {
    if let Err(reason) = layout::judge_dir(&components(dir), filters) {
        *inventory.pruned.entry(reason).or_default() += 1;
        return;
    }
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            inventory
                .unreadable
                .push(skipped(dir, format!("cannot list folder: {e}")));
            return;
        }
    };
    let mut children: Vec<fs::DirEntry> = entries.filter_map(Result::ok).collect();
    children.sort_by_key(fs::DirEntry::path);
    let mut folders = Vec::new();
    for child in children {
        let path = child.path();
        // The entry's own type and metadata are read relative to the
        // folder, without resolving the whole path again; a link is
        // followed, as `fs::metadata` does.
        let meta = match child.file_type() {
            Ok(kind) if kind.is_dir() => {
                folders.push(path);
                continue;
            }
            Ok(kind) if !kind.is_symlink() => child.metadata(),
            _ => fs::metadata(&path),
        };
        match meta {
            Ok(meta) if meta.is_dir() => folders.push(path),
            Ok(meta) => add_file(&path, meta.len(), false, filters, inventory),
            Err(e) => inventory
                .unreadable
                .push(skipped(&path, format!("cannot read: {e}"))),
        }
    }
    // Sub-folders are walked in parallel; the inventory is sorted at the end.
    let found: Vec<Inventory> = folders
        .par_iter()
        .map(|folder| {
            let mut found = Inventory::default();
            walk_dir(folder, filters, &mut found);
            found
        })
        .collect();
    found.into_iter().for_each(|f| inventory.extend(f));
}

fn add_file(path: &Path, size: u64, named: bool, filters: &Filters, inventory: &mut Inventory) {
    let location = Location::Local(path.to_path_buf());
    inventory.consider(&components(path), location, size, None, named, filters);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::parse_event_time;

    fn touch(root: &Path, rel: &str) {
        let path = root.join(rel);
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(path, b"{}").expect("write");
    }

    #[test]
    fn walks_prunes_and_counts_what_it_skips() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        let base = "AWSLogs/o-abc/111111111111";
        touch(
            root,
            &format!(
                "{base}/CloudTrail/us-east-1/2024/03/05/111111111111_CloudTrail_us-east-1_20240305T1455Z_a.json.gz"
            ),
        );
        touch(
            root,
            &format!(
                "{base}/CloudTrail/us-east-1/2024/03/01/111111111111_CloudTrail_us-east-1_20240301T1455Z_b.json.gz"
            ),
        );
        touch(
            root,
            &format!(
                "{base}/CloudTrail-Digest/us-east-1/2024/03/05/111111111111_CloudTrail-Digest_us-east-1_t_us-east-1_20240305T150000Z.json.gz"
            ),
        );
        touch(
            root,
            &format!(
                "{base}/CloudTrail-Insight/us-east-1/2024/03/05/111111111111_CloudTrail-Insight_us-east-1_20240305T1500Z_c.json.gz"
            ),
        );
        touch(
            root,
            "AWSLogs/o-abc/222222222222/CloudTrail/us-east-1/2024/03/05/x.json.gz",
        );
        touch(root, "notes.txt");
        let filters = Filters {
            accounts: vec!["111111111111".into()],
            since: parse_event_time("2024-03-04T00:00:00Z"),
            ..Filters::default()
        };
        let inv = discover(&[root], &filters);
        assert_eq!(inv.objects.len(), 1);
        assert!(inv.objects[0].location.to_string().ends_with("_a.json.gz"));
        assert_eq!(inv.digest_files, 1);
        assert_eq!(inv.insight_files, 1);
        assert_eq!(inv.pruned.get(&layout::PruneReason::Time), Some(&1));
        assert_eq!(inv.pruned.get(&layout::PruneReason::Account), Some(&1));
        assert_eq!(inv.ignored.len(), 1);
        let missing = discover(&[root.join("nope")], &Filters::default());
        assert_eq!(missing.unreadable.len(), 1);
    }
}
