//! The XML BILLmanager reads on stdout: a small document builder and the error document.

use std::borrow::Cow;

use quick_xml::escape::escape;

/// One XML element: name, attributes, text and children. Enough for every document the module
/// prints; built by value so commands can assemble answers without string formatting.
///
/// Names and attribute keys are `Cow`: the module's own documents use literals, which then cost
/// no allocation (a dry run over 50,000 servers builds one element per server).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Element {
    pub name: Cow<'static, str>,
    pub attrs: Vec<(Cow<'static, str>, String)>,
    pub text: String,
    pub children: Vec<Element>,
}

impl Element {
    pub fn new(name: impl Into<Cow<'static, str>>) -> Self {
        Element {
            name: name.into(),
            ..Element::default()
        }
    }

    pub fn attr(mut self, name: impl Into<Cow<'static, str>>, value: impl Into<String>) -> Self {
        self.attrs.push((name.into(), value.into()));
        self
    }

    pub fn text(mut self, text: impl Into<String>) -> Self {
        self.text = text.into();
        self
    }

    pub fn child(mut self, child: Element) -> Self {
        self.children.push(child);
        self
    }

    pub fn children(mut self, children: impl IntoIterator<Item = Element>) -> Self {
        self.children.extend(children);
        self
    }

    /// The element serialised without declaration.
    pub fn to_xml(&self) -> String {
        let mut out = Vec::new();
        // Writing to a Vec cannot fail.
        let _ = self.write(&mut out);
        String::from_utf8_lossy(&out).into_owned()
    }

    /// A whole document: declaration, this element, newline. Streamed, so a large plan is
    /// never held twice in memory.
    pub fn write_document(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        out.write_all(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")?;
        self.write(out)?;
        out.write_all(b"\n")
    }

    fn write(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        write!(out, "<{}", self.name)?;
        for (k, v) in &self.attrs {
            write!(out, " {k}=\"{}\"", escape(v.as_str()))?;
        }
        if self.text.is_empty() && self.children.is_empty() {
            return out.write_all(b"/>");
        }
        write!(out, ">{}", escape(self.text.as_str()))?;
        for child in &self.children {
            child.write(out)?;
        }
        write!(out, "</{}>", self.name)
    }
}

/// `<doc><error type=".." object=".."><param name="object" ..>..</param><param name="value">..</param></error></doc>`,
/// the form of `bill_util.php` and the Python library that BILLmanager renders with
/// `msg_error_<type>`.
pub fn error_document(error_type: &str, object: &str, value: &str) -> Element {
    Element::new("doc").child(
        Element::new("error")
            .attr("type", error_type)
            .attr("object", object)
            .child(
                Element::new("param")
                    .attr("name", "object")
                    .attr("type", "msg")
                    .attr("msg", object)
                    .text(object),
            )
            .child(Element::new("param").attr("name", "value").text(value)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_text_and_attributes() {
        let doc = Element::new("doc").child(Element::new("a").attr("x", "1<\"2\"").text("a&b"));
        assert_eq!(
            doc.to_xml(),
            "<doc><a x=\"1&lt;&quot;2&quot;\">a&amp;b</a></doc>"
        );
    }

    #[test]
    fn empty_element_is_self_closing() {
        assert_eq!(Element::new("doc").to_xml(), "<doc/>");
    }

    #[test]
    fn error_document_has_type_object_and_value() {
        let xml = error_document("no_pool", "server srv-1", "no pool <here>").to_xml();
        assert!(xml.starts_with("<doc><error type=\"no_pool\" object=\"server srv-1\">"));
        assert!(xml.contains("<param name=\"value\">no pool &lt;here&gt;</param>"));
    }
}
