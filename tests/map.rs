//! `snarl map`: the concurrency map of a project, in each format, on a project fixture.

use assert_cmd::Command;
use serde_json::Value;

fn map(format: &str) -> String {
    let output = Command::cargo_bin("snarl")
        .unwrap()
        .args(["map", "--format", format, "fixtures/projects/bank"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn the_text_map_shows_threads_and_where_the_locking_disagrees() {
    insta::assert_snapshot!(map("text"));
}

#[test]
fn the_json_map_names_each_thread_and_the_locks_of_each_location() {
    let map: Value = serde_json::from_str(&map("json")).unwrap();
    let threads = map["threads"].as_array().unwrap();
    assert!(threads.iter().any(|t| t["kind"] == "thread-pool task"
        && t["multiplicity"] == "many"
        && t["entries"] == serde_json::json!(["bank.app.credit_interest"])));
    let state = map["state"].as_array().unwrap();
    let balance = state
        .iter()
        .find(|s| s["location"] == "Account.balance")
        .unwrap();
    // `add_interest` changes the balance without the lock `deposit` holds.
    assert_eq!(balance["guarded_by"], Value::Null);
    assert_eq!(balance["contended"], true);
    let history = state
        .iter()
        .find(|s| s["location"] == "Account.history")
        .unwrap();
    assert_eq!(history["guarded_by"], serde_json::json!(["Account._lock"]));
}

#[test]
fn the_graphs_link_threads_to_functions_to_state() {
    let mermaid = map("mermaid");
    assert!(mermaid.starts_with("graph LR\n"));
    assert!(mermaid.contains("t_T2 --> f_bank_savings_Savings_add_interest"));
    assert!(mermaid.contains("s_Account_balance"));
    let dot = map("dot");
    assert!(dot.starts_with("digraph"), "{dot}");
    assert!(dot.contains("Account.balance"));
}
