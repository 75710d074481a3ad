//! The concurrency engine seen through `snarl debug roots|calls|accesses`: which code runs on which
//! threads, how calls resolve across modules and class hierarchies, which locks are held on entry
//! to a function, and which accesses are owned. The projects live in `fixtures/projects/`, so the
//! fixture harness also checks that they report exactly what they expect.

use std::path::{Path, PathBuf};

use serde_json::Value;

fn projects_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join("projects")
}

/// Runs `snarl debug <what>` on `fixtures/projects/<project>` from that directory, so file names
/// in the output are relative to it; modules are named from the package chain.
fn debug(what: &str, project: &str) -> Value {
    let dir = projects_dir().join(project);
    let output = assert_cmd::Command::cargo_bin("snarl")
        .expect("the snarl binary")
        .args(["debug", what, "."])
        .current_dir(&dir)
        .output()
        .expect("snarl runs");
    assert!(
        output.status.success(),
        "snarl debug {what} {project}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("debug output is JSON")
}

fn array(value: &Value) -> &Vec<Value> {
    value.as_array().expect("a JSON array")
}

/// The roots whose entry is `entry`.
fn roots_of<'v>(roots: &'v Value, entry: &str) -> Vec<&'v Value> {
    array(roots)
        .iter()
        .filter(|r| r["entry"] == entry)
        .collect()
}

/// The one root whose entry is `entry`.
fn root<'v>(roots: &'v Value, entry: &str) -> &'v Value {
    let found = roots_of(roots, entry);
    assert_eq!(found.len(), 1, "roots of {entry}: {found:#?}");
    found[0]
}

/// The `debug calls` record of `function`.
fn function<'v>(calls: &'v Value, function: &str) -> &'v Value {
    array(calls)
        .iter()
        .find(|f| f["function"] == function)
        .unwrap_or_else(|| panic!("no function {function} in the call graph"))
}

/// The functions `caller` calls, by qualified name.
fn callees(calls: &Value, caller: &str) -> Vec<String> {
    array(&function(calls, caller)["calls"])
        .iter()
        .map(|c| c["callee"].as_str().expect("a callee name").to_string())
        .collect()
}

/// The entries of the roots `function` runs on (not beside).
fn runs_on(calls: &Value, name: &str) -> Vec<String> {
    array(&function(calls, name)["context"]["threads"])
        .iter()
        .filter(|t| t["relation"] == "on")
        .map(|t| t["entry"].as_str().expect("an entry").to_string())
        .collect()
}

fn strings(value: &Value) -> Vec<&str> {
    array(value)
        .iter()
        .map(|v| v.as_str().expect("a string"))
        .collect()
}

#[test]
fn every_spawn_form_is_a_root_with_its_kind_and_multiplicity() {
    let roots = debug("roots", "engine");
    let cases = [
        ("engine.spawns.thread_once", "thread", "once"),
        ("engine.spawns.thread_many", "thread", "many"),
        ("engine.spawns.timer_callback", "timer", "once"),
        ("engine.spawns.raw_thread", "start_new_thread", "once"),
        ("engine.spawns.pool_task", "thread_pool", "many"),
        ("engine.spawns.pool_mapped", "thread_pool", "many"),
        ("engine.spawns.done_callback", "done_callback", "once"),
        ("engine.spawns.executor_job", "run_in_executor", "many"),
        ("engine.spawns.to_thread_job", "to_thread", "many"),
        ("engine.spawns.Handler.do_GET", "threading_server", "many"),
        ("engine.spawns.process_target", "process", "once"),
        ("engine.spawns.process_pool_task", "process_pool", "many"),
    ];
    for (entry, spawn, multiplicity) in cases {
        let found = root(&roots, entry);
        assert_eq!(found["root"]["kind"], "spawn", "{entry}");
        assert_eq!(found["root"]["spawn"], spawn, "{entry}");
        assert_eq!(found["multiplicity"], multiplicity, "{entry}");
        assert_eq!(found["site"]["filename"], "engine/spawns.py", "{entry}");
    }
}

#[test]
fn thread_subclass_run_is_a_root_many_when_constructed_in_a_loop() {
    let roots = debug("roots", "engine");
    let poller = root(&roots, "engine.spawns.Poller.run");
    assert_eq!(poller["root"]["kind"], "thread-run");
    assert_eq!(poller["multiplicity"], "many");
    let single = root(&roots, "engine.spawns.Single.run");
    assert_eq!(single["root"]["kind"], "thread-run");
    assert_eq!(single["multiplicity"], "once");
}

#[test]
fn functions_that_are_never_started_are_not_roots() {
    let roots = debug("roots", "engine");
    for entry in [
        "engine.spawns.start_threads",
        "engine.spawns.start_pools",
        "engine.main.main",
        "engine.helpers.imported_by_name",
    ] {
        assert!(roots_of(&roots, entry).is_empty(), "{entry} is a root");
    }
}

#[test]
fn process_roots_are_kept_apart_from_threads() {
    let roots = debug("roots", "engine");
    for entry in [
        "engine.spawns.process_target",
        "engine.spawns.process_pool_task",
    ] {
        assert_eq!(root(&roots, entry)["process"], true, "{entry}");
    }
    for entry in ["engine.spawns.thread_once", "engine.spawns.pool_task"] {
        assert_eq!(root(&roots, entry)["process"], false, "{entry}");
    }
    // A process target runs in no thread context: nothing it touches races with threads.
    let calls = debug("calls", "engine");
    for entry in [
        "engine.spawns.process_target",
        "engine.spawns.process_pool_task",
    ] {
        assert!(
            array(&function(&calls, entry)["context"]["threads"]).is_empty(),
            "{entry}"
        );
    }
    assert_eq!(
        runs_on(&calls, "engine.spawns.thread_once"),
        ["engine.spawns.thread_once"]
    );
}

#[test]
fn calls_resolve_across_modules() {
    let calls = debug("calls", "engine");
    let worker = callees(&calls, "engine.main.worker");
    // `from engine.helpers import imported_by_name` and `import engine.helpers as h`.
    assert!(worker.contains(&"engine.helpers.imported_by_name".to_string()));
    assert!(worker.contains(&"engine.helpers.imported_by_module_alias".to_string()));
    // `from engine import locks; locks.guarded(...)`.
    assert!(worker.contains(&"engine.locks.guarded".to_string()));
    // `square = Square(); square.describe()`: the constructor, then the inherited method.
    assert!(worker.contains(&"engine.square.Square.__init__".to_string()));
    assert!(worker.contains(&"engine.shapes.Shape.describe".to_string()));
    // The callees run under the thread that calls them, in their own modules.
    for callee in [
        "engine.helpers.imported_by_name",
        "engine.helpers.imported_by_module_alias",
    ] {
        assert_eq!(runs_on(&calls, callee), ["engine.main.worker"], "{callee}");
    }
}

#[test]
fn self_calls_reach_subclass_overrides_and_super_reaches_the_base() {
    let calls = debug("calls", "engine");
    // `self.name()` in `Shape.describe` may run the base method or the override in another module.
    let describe = callees(&calls, "engine.shapes.Shape.describe");
    assert!(describe.contains(&"engine.shapes.Shape.name".to_string()));
    assert!(describe.contains(&"engine.square.Square.name".to_string()));
    // `super().name()` and `super().__init__()` go to the base class only.
    assert_eq!(
        callees(&calls, "engine.square.Square.name"),
        ["engine.shapes.Shape.name"]
    );
    assert_eq!(
        callees(&calls, "engine.square.Square.__init__"),
        ["engine.shapes.Shape.__init__"]
    );
    // The override runs on the worker thread through the base's template method.
    assert_eq!(
        runs_on(&calls, "engine.square.Square.name"),
        ["engine.main.worker"]
    );
}

#[test]
fn a_helper_called_under_a_lock_holds_it_on_entry() {
    let calls = debug("calls", "engine");
    let guarded = function(&calls, "engine.locks.guarded");
    for call in array(&guarded["calls"]) {
        assert_eq!(strings(&call["locks_held"]), ["state_lock"], "{call}");
    }
    assert_eq!(
        strings(&function(&calls, "engine.locks._locked_helper")["context"]["locks_on_entry"]),
        ["state_lock"]
    );
    let accesses = debug("accesses", "engine");
    let write = array(&accesses)
        .iter()
        .find(|a| a["function"] == "engine.locks._locked_helper")
        .expect("the helper's write");
    assert_eq!(strings(&write["locks"]), ["state_lock"]);
}

#[test]
fn a_helper_called_with_and_without_a_lock_holds_none_on_entry() {
    let calls = debug("calls", "engine");
    let unguarded = function(&calls, "engine.locks.unguarded");
    assert!(array(&unguarded["calls"])
        .iter()
        .all(|c| array(&c["locks_held"]).is_empty()));
    let mixed = function(&calls, "engine.locks._mixed_helper");
    assert!(array(&mixed["context"]["locks_on_entry"]).is_empty());
    let accesses = debug("accesses", "engine");
    let write = array(&accesses)
        .iter()
        .find(|a| a["function"] == "engine.locks._mixed_helper")
        .expect("the helper's write");
    assert!(array(&write["locks"]).is_empty());
}

#[test]
fn accesses_in_constructors_and_on_local_objects_are_owned() {
    let accesses = debug("accesses", "engine");
    let by_function = |name: &str| -> Vec<&Value> {
        array(&accesses)
            .iter()
            .filter(|a| a["function"] == name)
            .collect()
    };
    for name in [
        "engine.shapes.Shape.__init__",
        "engine.square.Square.__init__",
        "engine.ownership.Tally.__init__",
        // `tally = Tally(); tally.bump()` inside the thread target.
        "engine.ownership.Tally.bump",
    ] {
        let found = by_function(name);
        assert!(!found.is_empty(), "no access in {name}");
        for access in found {
            assert_eq!(access["owned"], true, "{access}");
            assert_eq!(access["threads"][0]["entry"], "engine.main.worker");
        }
    }
    // A module global reached from a thread is not owned.
    for access in by_function("engine.locks._mixed_helper") {
        assert_eq!(access["owned"], false, "{access}");
    }
    // `self.sides` in the subclass's constructor is the base's attribute: one location.
    let sides: Vec<&Value> = array(&accesses)
        .iter()
        .filter(|a| a["location"]["name"] == "sides")
        .collect();
    assert_eq!(sides.len(), 2);
    assert!(sides
        .iter()
        .all(|a| a["location"]["class"] == "engine.shapes.Shape"));
}

#[test]
fn a_thread_subclass_started_from_another_module_runs_its_calls() {
    // `crawler.main` starts `Fetcher` threads (defined in `crawler.fetcher`) and a reporter
    // through `import crawler.report as report`.
    let roots = debug("roots", "crawler");
    let fetcher = root(&roots, "crawler.fetcher.Fetcher.run");
    assert_eq!(fetcher["root"]["kind"], "thread-run");
    assert_eq!(fetcher["multiplicity"], "many");
    let reporter = root(&roots, "crawler.report.report_forever");
    assert_eq!(reporter["root"]["spawn"], "thread");
    assert_eq!(reporter["multiplicity"], "once");
    assert_eq!(reporter["site"]["filename"], "crawler/main.py");
    let calls = debug("calls", "crawler");
    assert!(callees(&calls, "crawler.fetcher.Fetcher.run")
        .contains(&"crawler.fetcher.download".to_string()));
    // `download` runs on the many `Fetcher` threads.
    assert_eq!(
        runs_on(&calls, "crawler.fetcher.download"),
        ["crawler.fetcher.Fetcher.run"]
    );
}

#[test]
fn a_threading_server_makes_its_handler_methods_roots() {
    let roots = debug("roots", "orders");
    for entry in [
        "shop.api.handlers.OrderHandler.do_POST",
        "shop.api.handlers.OrderHandler.do_PUT",
    ] {
        let found = root(&roots, entry);
        assert_eq!(found["root"]["spawn"], "threading_server", "{entry}");
        assert_eq!(found["multiplicity"], "many", "{entry}");
        assert_eq!(found["site"]["filename"], "shop/server.py", "{entry}");
    }
    // `from shop.inventory import stock` and `inventory.orders_served`: the other module's globals.
    let accesses = debug("accesses", "orders");
    let locations: Vec<&str> = array(&accesses)
        .iter()
        .filter(|a| a["function"] == "shop.api.handlers.OrderHandler.do_POST")
        .map(|a| a["location"]["name"].as_str().expect("a global"))
        .collect();
    assert!(locations.contains(&"shop.inventory.stock"));
    assert!(locations.contains(&"shop.inventory.orders_served"));
}

#[test]
fn debug_roots_snapshot() {
    let roots = debug("roots", "engine");
    let text = serde_json::to_string_pretty(&roots).expect("JSON");
    let redacted = text.replace(&projects_dir().display().to_string(), "[PROJECTS]");
    insta::assert_snapshot!(redacted);
}
