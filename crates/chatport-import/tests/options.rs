//! Options that apply across importers: `--me` for exports that do not say who made them, and
//! options an importer does not use being reported rather than silently ignored.

mod common;

use chatport_import::{DateOrder, ImportOptions, Platform};

fn discord(options: ImportOptions) -> common::Imported {
    let path = common::fixtures("discord").join("old_schema.json");
    common::import_as(&path, Platform::Discord, "out.jsonl", options).unwrap()
}

fn self_accounts(imp: &common::Imported) -> Vec<String> {
    imp.records()
        .iter()
        .filter(|r| r["type"] == "account" && r["is_self"] == true)
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn me_marks_the_one_account_it_names_and_no_other() {
    let imp = discord(ImportOptions::default());
    assert!(
        self_accounts(&imp).is_empty(),
        "nobody is marked unless the user says"
    );
    for name in ["bob", "bob#0001"] {
        let imp = discord(ImportOptions {
            me: Some(name.into()),
            ..Default::default()
        });
        assert_eq!(self_accounts(&imp).len(), 1, "--me {name}");
        assert_eq!(imp.report.warning_count("me-not-found"), 0);
    }
    let imp = discord(ImportOptions {
        me: Some("Nobody".into()),
        ..Default::default()
    });
    assert!(self_accounts(&imp).is_empty());
    assert_eq!(imp.report.warning_count("me-not-found"), 1);
}

#[test]
fn a_date_order_for_a_platform_that_has_no_use_for_it_is_reported() {
    let imp = discord(ImportOptions {
        date_order: Some(DateOrder::Dmy),
        ..Default::default()
    });
    assert_eq!(imp.report.warning_count("option-not-used"), 1);
}
