//! The text of an attribute value (`AttrValue::Text`), behind one shared pointer:
//! every customer's state copies its row of the attribute snapshot, and a text shared
//! with the snapshot costs the state a pointer instead of a copy of the string; one
//! pointer also keeps an `AttrValue` at 16 bytes (issue 16).

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AttrText(Arc<Box<str>>);

impl AttrText {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Bytes this value holds for itself alone: nothing while it is shared (with the
    /// snapshot's row, say), else its allocation (the counts and the string's).
    pub fn own_bytes(&self) -> (usize, usize) {
        if Arc::strong_count(&self.0) > 1 {
            return (0, 0);
        }
        let inner = 2 * std::mem::size_of::<usize>() + std::mem::size_of::<Box<str>>();
        (inner + self.0.len(), 1 + usize::from(!self.0.is_empty()))
    }
}

impl Deref for AttrText {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl From<&str> for AttrText {
    fn from(s: &str) -> Self {
        AttrText(Arc::new(s.into()))
    }
}

impl From<String> for AttrText {
    fn from(s: String) -> Self {
        AttrText(Arc::new(s.into_boxed_str()))
    }
}

impl From<&String> for AttrText {
    fn from(s: &String) -> Self {
        AttrText::from(s.as_str())
    }
}

impl PartialEq<str> for AttrText {
    fn eq(&self, o: &str) -> bool {
        self.as_str() == o
    }
}

impl PartialEq<&str> for AttrText {
    fn eq(&self, o: &&str) -> bool {
        self.as_str() == *o
    }
}

impl PartialEq<String> for AttrText {
    fn eq(&self, o: &String) -> bool {
        self.as_str() == o.as_str()
    }
}

impl fmt::Debug for AttrText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for AttrText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
