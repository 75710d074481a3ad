//! `snarl server`: the real binary driven over standard input and output with JSON-RPC, as an
//! editor drives it: initialize → didOpen → publishDiagnostics → didChange → codeAction →
//! didClose → shutdown → exit.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

use common::Project;
use serde_json::{json, Value};

/// Only a guard against a hung server: no assertion depends on how fast it answers.
const HANG_GUARD: Duration = Duration::from_secs(120);

struct Client {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
    /// Messages received while waiting for another one, in arrival order: the server publishes
    /// documents' diagnostics in whatever order it finishes them.
    held: Vec<Value>,
    next_id: i64,
}

impl Client {
    fn start(project: &Project) -> Self {
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("snarl"))
            .arg("server")
            .current_dir(&project.root)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("snarl server starts");
        let stdin = child.stdin.take().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let (sender, messages) = mpsc::channel();
        std::thread::spawn(move || loop {
            let mut length = None;
            loop {
                let mut line = String::new();
                if stdout.read_line(&mut line).unwrap_or(0) == 0 {
                    return;
                }
                let line = line.trim_end();
                if line.is_empty() {
                    break;
                }
                if let Some(value) = line.strip_prefix("Content-Length: ") {
                    length = value.parse::<usize>().ok();
                }
            }
            let mut body = vec![0; length.expect("a Content-Length header")];
            if stdout.read_exact(&mut body).is_err() {
                return;
            }
            let value: Value = serde_json::from_slice(&body).expect("a JSON-RPC message");
            if sender.send(value).is_err() {
                return;
            }
        });
        Client {
            child,
            stdin,
            messages,
            held: Vec::new(),
            next_id: 1,
        }
    }

    fn send(&mut self, message: Value) {
        let body = serde_json::to_vec(&message).unwrap();
        write!(self.stdin, "Content-Length: {}\r\n\r\n", body.len()).unwrap();
        self.stdin.write_all(&body).unwrap();
        self.stdin.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// Sends a request and returns its response (skipping notifications in between).
    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        self.wait_for(|m| m["id"] == json!(id))
    }

    fn wait_for(&mut self, wanted: impl Fn(&Value) -> bool) -> Value {
        if let Some(at) = self.held.iter().position(&wanted) {
            return self.held.remove(at);
        }
        loop {
            let message = self
                .messages
                .recv_timeout(HANG_GUARD)
                .expect("the server answers");
            if wanted(&message) {
                return message;
            }
            self.held.push(message);
        }
    }

    /// The next diagnostics published for `uri`.
    fn diagnostics(&mut self, uri: &str) -> Value {
        let message = self.wait_for(|m| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
        });
        message["params"].clone()
    }
}

fn uri(project: &Project, relative: &str) -> String {
    format!("file://{}", project.path(relative).display())
}

fn codes(published: &Value) -> Vec<String> {
    published["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_string())
        .collect()
}

const MAIN: &str = "import threading\n\nfrom pkg import counter\n\n\ndef main():\n    for _ in range(4):\n        threading.Thread(target=counter.bump).start()\n";
const COUNTER: &str = "hits = 0\n\n\ndef bump():\n    global hits\n    hits += 1\n";
const LOCKED: &str = "import threading\n\nhits = 0\nlock = threading.Lock()\n\n\ndef bump():\n    global hits\n    with lock:\n        hits += 1\n";

fn project() -> Project {
    let project = Project::new("server");
    project
        .write("pyproject.toml", "")
        .write("pkg/__init__.py", "")
        .write("pkg/main.py", MAIN)
        .write("pkg/counter.py", COUNTER);
    project
}

fn initialize(client: &mut Client, project: &Project) -> Value {
    let response = client.request(
        "initialize",
        json!({
            "processId": null,
            "rootUri": format!("file://{}", project.root.display()),
            "capabilities": { "textDocument": { "publishDiagnostics": { "relatedInformation": true } } },
        }),
    );
    client.notify("initialized", json!({}));
    response
}

#[test]
fn a_session_from_initialize_to_exit() {
    let project = project();
    let mut client = Client::start(&project);
    let response = initialize(&mut client, &project);
    let capabilities = &response["result"]["capabilities"];
    assert_eq!(capabilities["textDocumentSync"]["change"], 1, "full sync");
    assert!(capabilities["codeActionProvider"].is_object());
    assert_eq!(response["result"]["serverInfo"]["name"], "snarl");

    // The race is in counter.py; the threads start in main.py, which is not open: the workspace
    // on disk gives the context.
    let counter = uri(&project, "pkg/counter.py");
    client.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": counter, "languageId": "python", "version": 1, "text": COUNTER } }),
    );
    let published = client.diagnostics(&counter);
    assert_eq!(published["version"], 1);
    let diagnostics = published["diagnostics"].as_array().unwrap();
    assert_eq!(diagnostics.len(), 1, "{published:#}");
    let race = &diagnostics[0];
    assert_eq!(race["code"], "SN201");
    assert_eq!(race["source"], "snarl");
    assert_eq!(race["severity"], 1);
    assert_eq!(race["data"]["name"], "unsynchronized-read-modify-write");
    assert_eq!(
        race["range"],
        json!({ "start": { "line": 5, "character": 4 }, "end": { "line": 5, "character": 13 } })
    );
    let related = &race["relatedInformation"][0];
    assert_eq!(related["location"]["uri"], uri(&project, "pkg/main.py"));
    assert_eq!(related["location"]["range"]["start"]["line"], 7);
    assert_eq!(related["message"], "threads started here");

    // An unsaved edit that takes the lock: the finding goes away, computed on the buffer.
    client.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": counter, "version": 2 }, "contentChanges": [{ "text": LOCKED }] }),
    );
    let published = client.diagnostics(&counter);
    assert_eq!(published["version"], 2);
    assert_eq!(codes(&published), Vec::<String>::new());
    assert_eq!(
        std::fs::read_to_string(project.path("pkg/counter.py")).unwrap(),
        COUNTER,
        "the file on disk is untouched"
    );

    // A fixable finding: its code actions are the fix and a `# noqa`.
    let buggy = "import threading\nt = threading.Thread(target=print, args=(1))\nt.start()\n";
    client.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": counter, "version": 3 }, "contentChanges": [{ "text": buggy }] }),
    );
    let published = client.diagnostics(&counter);
    assert_eq!(codes(&published), ["SN102"]);
    let response = client.request(
        "textDocument/codeAction",
        json!({
            "textDocument": { "uri": counter },
            "range": { "start": { "line": 1, "character": 0 }, "end": { "line": 1, "character": 0 } },
            "context": { "diagnostics": published["diagnostics"], "only": ["quickfix"] },
        }),
    );
    let actions = response["result"].as_array().unwrap();
    let titles: Vec<&str> = actions
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        [
            "Add the trailing comma that makes a one-element tuple (SN102)",
            "Silence SN102 on this line (`# noqa: SN102`)"
        ]
    );
    assert_eq!(
        actions[0]["edit"]["changes"][&counter],
        json!([{ "range": { "start": { "line": 1, "character": 41 }, "end": { "line": 1, "character": 42 } }, "newText": "1," }])
    );
    assert_eq!(actions[0]["isPreferred"], true);
    assert_eq!(
        actions[1]["edit"]["changes"][&counter],
        json!([{ "range": { "start": { "line": 1, "character": 44 }, "end": { "line": 1, "character": 44 } }, "newText": "  # noqa: SN102" }])
    );

    // Closing the document clears its findings.
    client.notify(
        "textDocument/didClose",
        json!({ "textDocument": { "uri": counter } }),
    );
    assert_eq!(codes(&client.diagnostics(&counter)), Vec::<String>::new());

    let response = client.request("shutdown", Value::Null);
    assert_eq!(response["result"], Value::Null);
    client.notify("exit", Value::Null);
    let status = client.child.wait().unwrap();
    assert!(status.success(), "{status}");
}

#[test]
fn unknown_requests_get_an_error_and_the_server_goes_on() {
    let project = project();
    let mut client = Client::start(&project);
    initialize(&mut client, &project);
    let response = client.request("textDocument/hover", json!({}));
    assert_eq!(response["error"]["code"], -32601);
    let response = client.request("textDocument/codeAction", json!({ "bad": true }));
    assert_eq!(response["error"]["code"], -32602);
    // Still serving: a file outside any package opened from an unsaved buffer.
    let scratch = uri(&project, "scratch.py");
    client.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": scratch, "languageId": "python", "version": 7, "text": "import threading\nthreading.Thread(print).start()\n" } }),
    );
    let published = client.diagnostics(&scratch);
    assert_eq!(codes(&published), ["SN106"]);
    // Fix-all: every safe fix of the document as one edit.
    let response = client.request(
        "textDocument/codeAction",
        json!({
            "textDocument": { "uri": scratch },
            "range": { "start": { "line": 0, "character": 0 }, "end": { "line": 0, "character": 0 } },
            "context": { "diagnostics": [], "only": ["source.fixAll"] },
        }),
    );
    assert_eq!(
        response["result"],
        json!([{
            "title": "Apply every safe snarl fix",
            "kind": "source.fixAll.snarl",
            "edit": { "changes": { scratch.clone(): [{
                "range": { "start": { "line": 1, "character": 17 }, "end": { "line": 1, "character": 17 } },
                "newText": "target=",
            }] } },
        }])
    );
    client.request("shutdown", Value::Null);
    client.notify("exit", Value::Null);
    assert!(client.child.wait().unwrap().success());
}

#[test]
fn each_document_uses_its_own_configuration() {
    // legacy/ has its own configuration: SN106 off, SN004 on. The fix of SN004 is offered as a
    // quick fix; silencing SN004 with another `# noqa` is not.
    let project = project();
    project.write(
        "legacy/snarl.toml",
        "ignore = [\"SN106\"]\nextend-select = [\"SN004\"]\n",
    );
    let text = "import threading\nthreading.Thread(print).start()  # noqa: SN101\n";
    let mut client = Client::start(&project);
    initialize(&mut client, &project);
    let legacy = uri(&project, "legacy/old.py");
    let fresh = uri(&project, "new.py");
    for document in [&legacy, &fresh] {
        client.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": document, "languageId": "python", "version": 1, "text": text } }),
        );
    }
    let published = client.diagnostics(&legacy);
    assert_eq!(codes(&published), ["SN004"]);
    assert_eq!(codes(&client.diagnostics(&fresh)), ["SN106"]);
    let response = client.request(
        "textDocument/codeAction",
        json!({
            "textDocument": { "uri": legacy },
            "range": { "start": { "line": 1, "character": 0 }, "end": { "line": 1, "character": 0 } },
            "context": { "diagnostics": published["diagnostics"], "only": ["quickfix"] },
        }),
    );
    let actions = response["result"].as_array().unwrap();
    assert_eq!(actions.len(), 1, "{actions:#?}");
    assert_eq!(
        actions[0]["edit"]["changes"][&legacy],
        json!([{ "range": { "start": { "line": 1, "character": 31 }, "end": { "line": 1, "character": 46 } }, "newText": "" }])
    );
    client.request("shutdown", Value::Null);
    client.notify("exit", Value::Null);
    assert!(client.child.wait().unwrap().success());
}
