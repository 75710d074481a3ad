//! `snarl server`: the language server (LSP over standard input and output, with `lsp-server` and
//! `lsp-types`, the crates rust-analyzer is built on).
//!
//! The workspace folder's Python files are the project; the documents the editor has open are
//! analysed from their unsaved text, the rest from disk, so a buffer is checked with the
//! cross-module context of the whole project. Diagnostics are published for open documents: on
//! open and save at once, on change after a short quiet period (typing does not start an analysis
//! per key). Code actions offer each finding's fix, a `# noqa: CODE` for it, and a fix-all of the
//! safe fixes. Documents are synced whole; positions are UTF-16, the protocol's default.
//!
//! Settings are found as `snarl check` run in the workspace folder finds them: each file uses the
//! closest configuration above it ([`Resolver`]), nested projects included.

use std::collections::{HashMap, HashSet};
use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, DidSaveTextDocument,
    Notification as _, PublishDiagnostics,
};
use lsp_types::request::{CodeActionRequest, Request as _};
use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOptions, CodeActionOrCommand, CodeActionParams,
    CodeActionProviderCapability, DiagnosticRelatedInformation, DiagnosticSeverity,
    DidChangeTextDocumentParams, DidCloseTextDocumentParams, DidOpenTextDocumentParams,
    InitializeParams, Location, NumberOrString, Position, PublishDiagnosticsParams, Range,
    SaveOptions, ServerCapabilities, TextDocumentSyncCapability, TextDocumentSyncKind,
    TextDocumentSyncOptions, TextDocumentSyncSaveOptions, TextEdit, Url, WorkspaceEdit,
};
use serde_json::json;

use crate::config::{Overrides, Resolver};
use crate::diagnostic::{Applicability, Diagnostic, Severity};
use crate::discover::{self, DiscoveredFile, ModuleNamer};
use crate::pipeline::Input;
use crate::source::{SourceFile, SourceFiles, Span};
use crate::workspace::Workspace;

/// How long typing must pause before a changed document is analysed again.
const QUIET_PERIOD: Duration = Duration::from_millis(200);

/// Runs the server until the client says `exit` or closes the connection.
pub fn run() -> Result<ExitCode, String> {
    crate::cli::configure_threads(None)?;
    let (connection, io_threads) = Connection::stdio();
    let (id, params) = connection.initialize_start().map_err(|e| e.to_string())?;
    let params: InitializeParams =
        serde_json::from_value(params).map_err(|e| format!("bad initialize request: {e}"))?;
    let capabilities = ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::FULL),
                save: Some(TextDocumentSyncSaveOptions::SaveOptions(SaveOptions {
                    include_text: Some(false),
                })),
                ..TextDocumentSyncOptions::default()
            },
        )),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![
                CodeActionKind::QUICKFIX,
                CodeActionKind::SOURCE_FIX_ALL,
            ]),
            ..CodeActionOptions::default()
        })),
        ..ServerCapabilities::default()
    };
    let result = json!({
        "capabilities": capabilities,
        "serverInfo": { "name": "snarl", "version": env!("CARGO_PKG_VERSION") },
    });
    connection
        .initialize_finish(id, result)
        .map_err(|e| e.to_string())?;
    let root = workspace_root(&params);
    // Reports name files relative to the working directory: make that the workspace.
    let _ = std::env::set_current_dir(&root);
    let mut server = Server::new(root)?;
    server.main_loop(&connection)?;
    drop(connection);
    io_threads.join().map_err(|e| e.to_string())?;
    Ok(ExitCode::SUCCESS)
}

/// The first workspace folder, else the root URI, else the working directory.
#[allow(deprecated)] // `root_uri` is what older clients send.
fn workspace_root(params: &InitializeParams) -> PathBuf {
    params
        .workspace_folders
        .iter()
        .flatten()
        .map(|folder| &folder.uri)
        .chain(params.root_uri.as_ref())
        .find_map(|uri| uri.to_file_path().ok())
        .or_else(|| std::env::current_dir().ok())
        .unwrap_or_default()
}

/// A finding as last published, with what its code actions need.
struct Published {
    diagnostic: lsp_types::Diagnostic,
    fix: Option<(String, Applicability, Vec<TextEdit>)>,
    /// The finding itself, for its `# noqa` edit (computed when asked for).
    finding: Diagnostic,
    code: &'static str,
}

/// The findings last published for a document, and the text they were computed on.
struct PublishedDocument {
    source: SourceFile,
    findings: Vec<Published>,
}

struct Server {
    workspace: Workspace,
    root: PathBuf,
    /// Open documents: their index in the workspace and the version the client gave.
    open: HashMap<Url, (usize, i32)>,
    published: HashMap<Url, PublishedDocument>,
    /// When the next analysis is due, if one is.
    due: Option<Instant>,
    /// Documents closed since the last analysis: their findings are cleared.
    closed: Vec<Url>,
}

impl Server {
    /// The server for the workspace folder `root`, the working directory.
    fn new(root: PathBuf) -> Result<Self, String> {
        let resolver = Resolver::new(&Overrides::default()).map_err(|e| e.to_string())?;
        let (resolver, discovery) = discover::discover_with(std::slice::from_ref(&root), resolver)
            .map_err(|e| e.to_string())?;
        let context = discovery.files.into_iter().map(Input::File).collect();
        Ok(Server {
            workspace: Workspace::new(resolver, Vec::new(), context),
            root,
            open: HashMap::new(),
            published: HashMap::new(),
            due: None,
            closed: Vec::new(),
        })
    }

    fn main_loop(&mut self, connection: &Connection) -> Result<(), String> {
        loop {
            let message = match self.due {
                Some(due) => {
                    let wait = due.saturating_duration_since(Instant::now());
                    match connection.receiver.recv_timeout(wait) {
                        Ok(message) => message,
                        Err(e) if e.is_timeout() => {
                            self.analyse(connection);
                            continue;
                        }
                        Err(_) => return Ok(()),
                    }
                }
                None => match connection.receiver.recv() {
                    Ok(message) => message,
                    Err(_) => return Ok(()),
                },
            };
            match message {
                Message::Request(request) => {
                    if connection
                        .handle_shutdown(&request)
                        .map_err(|e| e.to_string())?
                    {
                        return Ok(());
                    }
                    self.on_request(connection, request);
                }
                Message::Notification(notification) => {
                    if notification.method == "exit" {
                        return Ok(());
                    }
                    self.on_notification(notification);
                }
                Message::Response(_) => {}
            }
        }
    }

    fn on_request(&mut self, connection: &Connection, request: Request) {
        let response = if request.method == CodeActionRequest::METHOD {
            match serde_json::from_value::<CodeActionParams>(request.params) {
                Ok(params) => {
                    // Answer from findings that match the text the client has.
                    if self.due.is_some() {
                        self.analyse(connection);
                    }
                    Response::new_ok(request.id, self.code_actions(&params))
                }
                Err(e) => invalid_params(request.id, e),
            }
        } else {
            Response::new_err(
                request.id,
                ErrorCode::MethodNotFound as i32,
                format!("snarl does not handle `{}`", request.method),
            )
        };
        let _ = connection.sender.send(response.into());
    }

    fn on_notification(&mut self, notification: Notification) {
        match notification.method.as_str() {
            DidOpenTextDocument::METHOD => {
                if let Ok(params) =
                    serde_json::from_value::<DidOpenTextDocumentParams>(notification.params)
                {
                    let document = params.text_document;
                    if let Some(index) = self.document_index(&document.uri) {
                        self.workspace.set_text(index, Arc::from(document.text));
                        self.workspace.set_reported(index, true);
                        self.open.insert(document.uri, (index, document.version));
                        self.due = Some(Instant::now());
                    }
                }
            }
            DidChangeTextDocument::METHOD => {
                if let Ok(params) =
                    serde_json::from_value::<DidChangeTextDocumentParams>(notification.params)
                {
                    let document = params.text_document;
                    let open = self.open.get_mut(&document.uri);
                    // Full sync: the last change holds the whole text.
                    if let (Some((index, version)), Some(change)) =
                        (open, params.content_changes.last())
                    {
                        let index = *index;
                        *version = document.version;
                        if change.range.is_none() {
                            self.workspace
                                .set_text(index, Arc::from(change.text.as_str()));
                            let due = Instant::now() + QUIET_PERIOD;
                            self.due = Some(self.due.map_or(due, |d| d.max(due)));
                        }
                    }
                }
            }
            DidSaveTextDocument::METHOD => {
                // Files may have appeared on disk since the workspace was read.
                self.add_new_files();
                self.due = Some(Instant::now());
            }
            DidCloseTextDocument::METHOD => {
                if let Ok(params) =
                    serde_json::from_value::<DidCloseTextDocumentParams>(notification.params)
                {
                    let uri = params.text_document.uri;
                    if let Some((index, _)) = self.open.remove(&uri) {
                        self.workspace.set_reported(index, false);
                        let on_disk = self.workspace.file(index).path.is_file();
                        if on_disk {
                            self.workspace.use_disk(index);
                        } else {
                            self.workspace.set_text(index, Arc::from(""));
                        }
                        self.published.remove(&uri);
                        self.closed.push(uri);
                        self.due = Some(Instant::now());
                    }
                }
            }
            _ => {}
        }
    }

    /// The workspace index of the document at `uri`, adding the file if it is new; `None` for a
    /// document that is not a file.
    fn document_index(&mut self, uri: &Url) -> Option<usize> {
        let path = uri.to_file_path().ok()?;
        if let Some(index) = self.workspace.index_of(&path) {
            return Some(index);
        }
        // A file outside the folder walked so far: the configuration above it, if it has one.
        let mut resolver = self.workspace.resolver().clone();
        if resolver.add_ancestors(&path).is_ok() {
            self.workspace.set_resolver(resolver);
        }
        let (module, is_package) = ModuleNamer::new(self.workspace.resolver()).module_name(&path);
        let file = DiscoveredFile {
            path,
            module,
            is_package,
        };
        Some(self.workspace.add(Input::File(file), false))
    }

    /// Adds the files (and configurations) that appeared in the folder since it was walked.
    fn add_new_files(&mut self) {
        let resolver = self.workspace.resolver().clone();
        // A configuration that does not load keeps the settings as they were.
        let Ok((resolver, discovery)) =
            discover::discover_with(std::slice::from_ref(&self.root), resolver)
        else {
            return;
        };
        self.workspace.set_resolver(resolver);
        for file in discovery.files {
            if self.workspace.index_of(&file.path).is_none() {
                self.workspace.add(Input::File(file), false);
            }
        }
    }

    /// Analyses the workspace and publishes the findings of every open document.
    fn analyse(&mut self, connection: &Connection) {
        self.due = None;
        let workspace = &mut self.workspace;
        let result = match panic::catch_unwind(AssertUnwindSafe(|| workspace.check())) {
            Ok(result) => result,
            Err(_) => {
                let message = json!({ "type": 1, "message": "snarl failed to analyse the workspace; this is a bug in snarl" });
                let _ = connection
                    .sender
                    .send(Notification::new("window/logMessage".to_string(), message).into());
                return;
            }
        };
        let mut by_index: HashMap<usize, Vec<Published>> = self
            .open
            .values()
            .map(|(index, _)| (*index, Vec::new()))
            .collect();
        for diagnostic in &result.diagnostics {
            if let Some(findings) = by_index.get_mut(&(diagnostic.span.file.0 as usize)) {
                findings.push(to_lsp(diagnostic, &result.files));
            }
        }
        for uri in self.closed.drain(..) {
            let params = PublishDiagnosticsParams {
                uri,
                diagnostics: Vec::new(),
                version: None,
            };
            let _ = connection
                .sender
                .send(Notification::new(PublishDiagnostics::METHOD.to_string(), params).into());
        }
        let mut seen = HashSet::new();
        for (uri, (index, version)) in &self.open {
            let findings = by_index.remove(index).unwrap_or_default();
            let params = PublishDiagnosticsParams {
                uri: uri.clone(),
                diagnostics: findings.iter().map(|p| p.diagnostic.clone()).collect(),
                version: Some(*version),
            };
            let _ = connection
                .sender
                .send(Notification::new(PublishDiagnostics::METHOD.to_string(), params).into());
            seen.insert(uri.clone());
            let source = result
                .files
                .get(crate::source::FileId(*index as u32))
                .clone();
            self.published
                .insert(uri.clone(), PublishedDocument { source, findings });
        }
        self.published.retain(|uri, _| seen.contains(uri));
    }

    fn code_actions(&self, params: &CodeActionParams) -> Vec<CodeActionOrCommand> {
        let uri = &params.text_document.uri;
        let Some(document) = self.published.get(uri) else {
            return Vec::new();
        };
        let published = &document.findings;
        let only = params.context.only.as_ref();
        let wants = |kind: &CodeActionKind| {
            only.is_none_or(|only| only.iter().any(|o| kind.as_str().starts_with(o.as_str())))
        };
        let mut actions = Vec::new();
        let edit = |edits: Vec<TextEdit>| WorkspaceEdit {
            changes: Some(HashMap::from([(uri.clone(), edits)])),
            ..WorkspaceEdit::default()
        };
        if wants(&CodeActionKind::QUICKFIX) {
            // The findings under the cursor or selection, and those the client says it shows
            // there.
            let listed = |p: &Published| {
                params
                    .context
                    .diagnostics
                    .iter()
                    .any(|d| d.range == p.diagnostic.range && d.code == p.diagnostic.code)
            };
            for item in published
                .iter()
                .filter(|p| overlaps(p.diagnostic.range, params.range) || listed(p))
            {
                if let Some((message, applicability, edits)) = &item.fix {
                    actions.push(CodeActionOrCommand::CodeAction(CodeAction {
                        title: format!("{message} ({})", item.code),
                        kind: Some(CodeActionKind::QUICKFIX),
                        diagnostics: Some(vec![item.diagnostic.clone()]),
                        edit: Some(edit(edits.clone())),
                        is_preferred: Some(*applicability == Applicability::Safe),
                        ..CodeAction::default()
                    }));
                }
                let target = self
                    .workspace
                    .resolver()
                    .settings_for(&document.source.path)
                    .target_version;
                let noqa = crate::add_noqa::add_noqa(&document.source, &[&item.finding], target)
                    .filter(|edit| edit.lines > 0)
                    .map(|edit| whole_change(&document.source.text, &edit.text));
                if let Some(noqa) = noqa {
                    actions.push(CodeActionOrCommand::CodeAction(CodeAction {
                        title: format!(
                            "Silence {} on this line (`# noqa: {}`)",
                            item.code, item.code
                        ),
                        kind: Some(CodeActionKind::QUICKFIX),
                        diagnostics: Some(vec![item.diagnostic.clone()]),
                        edit: Some(edit(vec![noqa])),
                        ..CodeAction::default()
                    }));
                }
            }
        }
        let fix_all = CodeActionKind::new("source.fixAll.snarl");
        if wants(&fix_all) {
            if let Some(edits) = self.fix_all(uri) {
                actions.push(CodeActionOrCommand::CodeAction(CodeAction {
                    title: "Apply every safe snarl fix".to_string(),
                    kind: Some(fix_all),
                    edit: Some(edit(edits)),
                    ..CodeAction::default()
                }));
            }
        }
        actions
    }

    /// The safe fixes of a document that do not touch one another, as one edit.
    fn fix_all(&self, uri: &Url) -> Option<Vec<TextEdit>> {
        let document = self.published.get(uri)?;
        let text = &document.source.text;
        let fixes: Vec<crate::diagnostic::Fix> = document
            .findings
            .iter()
            .filter_map(|p| p.fix.as_ref())
            .filter(|(_, applicability, _)| *applicability == Applicability::Safe)
            .map(|(message, applicability, edits)| crate::diagnostic::Fix {
                applicability: *applicability,
                message: message.clone(),
                edits: edits
                    .iter()
                    .filter_map(|e| lsp_edit_to_offsets(text, e))
                    .collect(),
            })
            .collect();
        if fixes.is_empty() {
            return None;
        }
        let (fixed, applied) = crate::fix::apply_fixes(text, &fixes);
        (applied > 0).then(|| vec![whole_change(text, &fixed)])
    }
}

fn invalid_params(id: RequestId, error: serde_json::Error) -> Response {
    Response::new_err(id, ErrorCode::InvalidParams as i32, error.to_string())
}

fn overlaps(a: Range, b: Range) -> bool {
    a.start <= b.end && b.start <= a.end
}

/// The LSP position (UTF-16 columns) of a byte offset.
fn position(text: &str, offset: usize) -> Position {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count();
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let character: usize = text[line_start..offset].chars().map(char::len_utf16).sum();
    Position::new(
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(character).unwrap_or(u32::MAX),
    )
}

/// The byte offset of an LSP position; positions past a line's end clamp to it.
fn offset(text: &str, position: Position) -> Option<usize> {
    let mut line_start = 0;
    for _ in 0..position.line {
        line_start += text[line_start..].find('\n')? + 1;
    }
    let line_end = text[line_start..]
        .find('\n')
        .map_or(text.len(), |i| line_start + i);
    let mut units = 0;
    for (i, c) in text[line_start..line_end].char_indices() {
        if units >= position.character as usize {
            return Some(line_start + i);
        }
        units += c.len_utf16();
    }
    Some(line_end)
}

fn range(file: &SourceFile, span: Span) -> Range {
    Range::new(
        position(&file.text, span.range.start().to_usize()),
        position(&file.text, span.range.end().to_usize()),
    )
}

fn lsp_edit_to_offsets(text: &str, edit: &TextEdit) -> Option<crate::diagnostic::Edit> {
    let start = offset(text, edit.range.start)?;
    let end = offset(text, edit.range.end)?;
    Some(crate::diagnostic::Edit {
        range: crate::python::TextRange::new(
            crate::python::TextSize::try_from(start).ok()?,
            crate::python::TextSize::try_from(end).ok()?,
        ),
        content: edit.new_text.clone(),
    })
}

/// One edit turning `old` into `new`: the span between their common prefix and suffix.
fn whole_change(old: &str, new: &str) -> TextEdit {
    let mut prefix = old
        .bytes()
        .zip(new.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    while !old.is_char_boundary(prefix) || !new.is_char_boundary(prefix) {
        prefix -= 1;
    }
    let mut suffix = old[prefix..]
        .bytes()
        .rev()
        .zip(new[prefix..].bytes().rev())
        .take_while(|(a, b)| a == b)
        .count();
    while !old.is_char_boundary(old.len() - suffix) || !new.is_char_boundary(new.len() - suffix) {
        suffix -= 1;
    }
    TextEdit {
        range: Range::new(position(old, prefix), position(old, old.len() - suffix)),
        new_text: new[prefix..new.len() - suffix].to_string(),
    }
}

/// A finding as the editor shows it, with its fix and `noqa` edit.
fn to_lsp(diagnostic: &Diagnostic, files: &SourceFiles) -> Published {
    let file = files.get(diagnostic.span.file);
    let severity = match diagnostic.severity {
        Severity::Error => DiagnosticSeverity::ERROR,
        Severity::Warning => DiagnosticSeverity::WARNING,
        Severity::Info => DiagnosticSeverity::INFORMATION,
    };
    let related: Vec<DiagnosticRelatedInformation> = diagnostic
        .related
        .iter()
        .filter_map(|related| {
            let other = files.get(related.span.file);
            let uri = Url::from_file_path(other.absolute_path()).ok()?;
            Some(DiagnosticRelatedInformation {
                location: Location::new(uri, range(other, related.span)),
                message: related.message.clone(),
            })
        })
        .collect();
    let message = match &diagnostic.help {
        Some(help) => format!("{}\n{help}", diagnostic.message),
        None => diagnostic.message.clone(),
    };
    let lsp = lsp_types::Diagnostic {
        range: range(file, diagnostic.span),
        severity: Some(severity),
        code: Some(NumberOrString::String(diagnostic.rule.code().to_string())),
        source: Some("snarl".to_string()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        data: Some(json!({
            "name": diagnostic.rule.name(),
            "confidence": diagnostic.confidence.as_str(),
            "fixable": diagnostic.fix.is_some(),
        })),
        ..lsp_types::Diagnostic::default()
    };
    let fix = diagnostic.fix.as_ref().map(|fix| {
        let edits = fix
            .edits
            .iter()
            .map(|edit| TextEdit {
                range: Range::new(
                    position(&file.text, edit.range.start().to_usize()),
                    position(&file.text, edit.range.end().to_usize()),
                ),
                new_text: edit.content.clone(),
            })
            .collect();
        (fix.message.clone(), fix.applicability, edits)
    });
    Published {
        diagnostic: lsp,
        fix,
        finding: diagnostic.clone(),
        code: diagnostic.rule.code(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_utf16_units() {
        let text = "a\né𝄞x\n";
        // `x` is after é (1 unit) and 𝄞 (2 units).
        let x = text.find('x').unwrap();
        assert_eq!(position(text, x), Position::new(1, 3));
        assert_eq!(offset(text, Position::new(1, 3)), Some(x));
        assert_eq!(offset(text, Position::new(1, 99)), Some(text.len() - 1));
        assert_eq!(offset(text, Position::new(9, 0)), None);
    }

    #[test]
    fn a_whole_change_spans_only_what_differs() {
        let edit = whole_change("a = f(x)\n", "a = f(x,)\n");
        assert_eq!(
            edit.range,
            Range::new(Position::new(0, 7), Position::new(0, 7))
        );
        assert_eq!(edit.new_text, ",");
    }
}
