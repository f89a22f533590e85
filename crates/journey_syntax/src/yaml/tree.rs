//! A small YAML node tree with byte spans, built from saphyr-parser's events.
//!
//! saphyr reports positions as character indices; everything here is converted to byte
//! offsets into the source, which is what [`Span`] and the diagnostics use. The builder
//! is iterative (no recursion on the input's nesting), resolves aliases by copying the
//! anchored node, and refuses documents that would expand past [`MAX_NODES`] (alias
//! bombs) or nest deeper than [`MAX_DEPTH`].

use crate::ast::Span;
use saphyr_parser::{Event, Parser, ScalarStyle, ScanError};
use std::collections::HashMap;

/// Deeper YAML than this is refused: real journey files nest about six levels.
pub(crate) const MAX_DEPTH: usize = 64;
/// More nodes than this (after alias expansion) is refused.
pub(crate) const MAX_NODES: usize = 200_000;

#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub kind: NodeKind,
    /// Bytes covered by the node (for a scalar, including quotes or block header).
    pub span: Span,
}

#[derive(Debug, Clone)]
pub(crate) enum NodeKind {
    Scalar(Scalar),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

#[derive(Debug, Clone)]
pub(crate) struct Scalar {
    /// The value with YAML quoting, escapes and folding resolved.
    pub value: String,
    pub style: ScalarStyle,
    pub span: Span,
}

impl Scalar {
    /// `~`, `null` or nothing at all, written plain.
    pub fn is_null(&self) -> bool {
        self.style == ScalarStyle::Plain && matches!(self.value.as_str(), "" | "~" | "null" | "Null" | "NULL")
    }
}

impl Node {
    pub fn describe(&self) -> &'static str {
        match &self.kind {
            NodeKind::Scalar(s) if s.is_null() => "nothing",
            NodeKind::Scalar(_) => "a single value",
            NodeKind::Seq(_) => "a list",
            NodeKind::Map(_) => "a mapping",
        }
    }
}

/// A failure to read the YAML itself.
#[derive(Debug)]
pub(crate) struct TreeError {
    pub message: String,
    pub span: Span,
    pub help: &'static str,
}

/// Byte offset of every character index (plus one past the end).
pub(crate) struct CharIndex {
    bytes: Vec<u32>,
    ascii: bool,
    len: usize,
}

impl CharIndex {
    pub fn new(source: &str) -> Self {
        let ascii = source.is_ascii();
        let bytes = if ascii {
            Vec::new()
        } else {
            source.char_indices().map(|(b, _)| b as u32).chain(std::iter::once(source.len() as u32)).collect()
        };
        CharIndex { bytes, ascii, len: source.len() }
    }
    pub fn byte(&self, char_index: usize) -> usize {
        if self.ascii {
            char_index.min(self.len)
        } else {
            self.bytes.get(char_index).map_or(self.len, |&b| b as usize)
        }
    }
}

enum Frame {
    Seq { start: usize, anchor: usize, items: Vec<Node> },
    Map { start: usize, anchor: usize, entries: Vec<(Node, Node)>, key: Option<Node> },
}

/// Parse every document of the stream. A document whose root is empty yields `None`.
pub(crate) fn parse_documents(source: &str) -> Result<Vec<Node>, TreeError> {
    let index = CharIndex::new(source);
    let span_of = |s: saphyr_parser::Span| {
        let a = index.byte(s.start.index());
        let b = index.byte(s.end.index()).max(a);
        Span::new(a, b)
    };
    let scan_error = |e: ScanError| {
        let at = index.byte(e.marker().index());
        // The scanner marks where the scalar it was reading started; a tab it then
        // found is what to fix, so point at the tab itself (a tab on line 10 is
        // reported on line 10, not on the line of the value before it).
        if e.info().contains("found a tab") {
            if let Some(tab) = source[at..].find('\t').map(|i| at + i) {
                return TreeError {
                    message: "invalid YAML: a tab in the indentation".to_string(),
                    span: Span::new(tab, tab + 1),
                    help: "YAML indents with spaces only; replace the tab with spaces",
                };
            }
        }
        // point at the character the scanner stopped on, if any
        let end = source[at..].chars().next().map_or(at, |c| at + c.len_utf8());
        TreeError {
            message: format!("invalid YAML: {}", e.info()),
            span: Span::new(at, end),
            help: "check the indentation and quoting around this place; values that start with `[`, `{`, `\"`, `*`, `&`, `!` or contain `: ` or ` #` need quotes",
        }
    };

    let mut parser = Parser::new_from_str(source);
    let mut docs = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: HashMap<usize, Node> = HashMap::new();
    let mut nodes = 0usize;
    let mut root: Option<Node> = None;

    while let Some(next) = parser.next_event() {
        let (event, ev_span) = next.map_err(scan_error)?;
        let sp = span_of(ev_span);
        let mut done: Option<(Node, usize)> = None;
        match event {
            Event::StreamStart | Event::Nothing | Event::DocumentStart(_) => {}
            Event::StreamEnd => break,
            Event::DocumentEnd => {
                if let Some(r) = root.take() {
                    docs.push(r);
                }
                anchors.clear();
            }
            Event::Alias(id) => match anchors.get(&id) {
                Some(n) => {
                    nodes += count(n);
                    done = Some((n.clone(), 0));
                }
                None => {
                    return Err(TreeError {
                        message: "unknown alias".into(),
                        span: sp,
                        help: "define the anchor (`&name`) before using it (`*name`)",
                    })
                }
            },
            Event::Scalar(value, style, anchor, _tag) => {
                nodes += 1;
                done = Some((
                    Node { kind: NodeKind::Scalar(Scalar { value: value.into_owned(), style, span: sp }), span: sp },
                    anchor,
                ));
            }
            Event::SequenceStart(anchor, _) => {
                stack.push(Frame::Seq { start: sp.start as usize, anchor, items: Vec::new() });
            }
            Event::MappingStart(anchor, _) => {
                stack.push(Frame::Map { start: sp.start as usize, anchor, entries: Vec::new(), key: None });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                nodes += 1;
                match stack.pop() {
                    Some(Frame::Seq { start, anchor, items }) => {
                        let end = close_end(sp, items.last().map(|n| n.span.end), start);
                        done = Some((Node { kind: NodeKind::Seq(items), span: Span::new(start, end) }, anchor));
                    }
                    Some(Frame::Map { start, anchor, entries, key }) => {
                        let mut entries = entries;
                        if let Some(k) = key {
                            // cannot happen with a well-formed event stream; keep the key
                            let null = Node {
                                kind: NodeKind::Scalar(Scalar {
                                    value: String::new(),
                                    style: ScalarStyle::Plain,
                                    span: Span::new(k.span.end as usize, k.span.end as usize),
                                }),
                                span: Span::new(k.span.end as usize, k.span.end as usize),
                            };
                            entries.push((k, null));
                        }
                        let end = close_end(sp, entries.last().map(|(_, v)| v.span.end), start);
                        done = Some((Node { kind: NodeKind::Map(entries), span: Span::new(start, end) }, anchor));
                    }
                    None => {}
                }
            }
        }
        if stack.len() > MAX_DEPTH {
            return Err(TreeError {
                message: format!("nesting deeper than {MAX_DEPTH} levels"),
                span: sp,
                help: "a journey file nests a few levels; flatten this part",
            });
        }
        if nodes > MAX_NODES {
            return Err(TreeError {
                message: format!("the document expands to more than {MAX_NODES} values"),
                span: sp,
                help: "aliases (`*name`) copy what they refer to; use fewer of them",
            });
        }
        if let Some((node, anchor)) = done {
            if anchor != 0 {
                anchors.insert(anchor, node.clone());
            }
            match stack.last_mut() {
                None => root = Some(node),
                Some(Frame::Seq { items, .. }) => items.push(node),
                Some(Frame::Map { entries, key, .. }) => match key.take() {
                    None => *key = Some(node),
                    Some(k) => entries.push((k, node)),
                },
            }
        }
    }
    if let Some(r) = root.take() {
        docs.push(r);
    }
    Ok(docs)
}

/// Where a collection ends: at its closing bracket when it has one, else after its
/// last child (block collections end with an empty event span somewhere later).
fn close_end(end_event: Span, last_child: Option<u32>, start: usize) -> usize {
    if !end_event.is_empty() {
        end_event.end as usize
    } else {
        last_child.map_or(start, |e| e as usize).max(start)
    }
}

fn count(n: &Node) -> usize {
    // iterative, so a deep copy cannot overflow the stack
    let mut total = 0;
    let mut todo = vec![n];
    while let Some(n) = todo.pop() {
        total += 1;
        match &n.kind {
            NodeKind::Scalar(_) => {}
            NodeKind::Seq(items) => todo.extend(items),
            NodeKind::Map(entries) => {
                for (k, v) in entries {
                    todo.push(k);
                    todo.push(v);
                }
            }
        }
    }
    total
}

/// For each byte of `scalar.value` (and one past its end), the byte of the source it
/// was read from. Exact for plain one-line scalars and quoted scalars without escapes;
/// for escapes, folded lines and block scalars, a monotone alignment that keeps every
/// position inside the scalar.
pub(crate) fn value_positions(source: &str, scalar: &Scalar) -> Vec<u32> {
    let (s, e) = (scalar.span.start as usize, (scalar.span.end as usize).min(source.len()));
    // block scalars (`|`, `>`): saphyr's span already starts at the content
    let (mut cs, mut ce) = (s, e.max(s));
    match scalar.style {
        ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted if ce >= cs + 2 => {
            cs += 1;
            ce -= 1;
        }
        _ => {}
    }
    if source.get(cs..ce).is_none() {
        // not on char boundaries (should not happen): everything maps to the start
        return vec![s as u32; scalar.value.len() + 1];
    }
    let content = &source[cs..ce];
    let mut map = Vec::with_capacity(scalar.value.len() + 1);
    let mut p = 0usize;
    for ch in scalar.value.chars() {
        let found = content[p..].char_indices().take(80).find(|&(_, c)| c == ch).map(|(i, _)| p + i);
        let at = match found {
            Some(i) => {
                p = i + ch.len_utf8();
                i
            }
            None => p,
        };
        for k in 0..ch.len_utf8() {
            map.push((cs + (at + k).min(content.len())) as u32);
        }
    }
    map.push((cs + p) as u32);
    map
}
