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

    /// The value of the attribute `name`.
    pub fn attr_value(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The form with `slist` as the options of its select: a form tuner's answer. An `slist` of
    /// the same name sent with the form is replaced, so the select never lists twice.
    pub fn with_slist(mut self, slist: Element) -> Element {
        let name = slist.attr_value("name").map(str::to_string);
        self.children
            .retain(|c| !(c.name == "slist" && c.attr_value("name") == name.as_deref()));
        self.child(slist)
    }

    /// The first child named `name`.
    pub fn find(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// The text of the first child named `name`, trimmed; `None` when absent or empty.
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.find(name)
            .map(|c| c.text.trim())
            .filter(|t| !t.is_empty())
    }

    /// Reads a whole document into its root element, for the form tuners that must print back
    /// every field BILLmanager sent. Whitespace between elements is dropped (forms carry no
    /// mixed content); comments, the declaration and processing instructions are not kept.
    pub fn parse(xml: &str) -> Result<Element, String> {
        use quick_xml::events::{BytesStart, Event};

        fn open(start: &BytesStart) -> Result<Element, String> {
            let name = String::from_utf8_lossy(start.name().as_ref()).into_owned();
            let mut element = Element::new(name);
            for attr in start.attributes() {
                let attr = attr.map_err(|e| format!("bad attribute: {e}"))?;
                let key = String::from_utf8_lossy(attr.key.as_ref()).into_owned();
                let value = attr
                    .unescape_value()
                    .map_err(|e| format!("bad attribute value: {e}"))?;
                element = element.attr(key, value.into_owned());
            }
            Ok(element)
        }

        let mut reader = quick_xml::Reader::from_str(xml);
        let mut stack: Vec<Element> = Vec::new();
        let mut root: Option<Element> = None;
        let at = |reader: &quick_xml::Reader<&[u8]>| reader.buffer_position();
        loop {
            let event = reader
                .read_event()
                .map_err(|e| format!("{e} at byte {}", at(&reader)))?;
            let finished = match event {
                Event::Start(start) => {
                    stack.push(open(&start)?);
                    None
                }
                Event::Empty(start) => Some(open(&start)?),
                Event::End(_) => stack.pop(),
                Event::Text(text) => {
                    let text = text.xml_content().map_err(|e| format!("bad text: {e}"))?;
                    if let Some(top) = stack.last_mut() {
                        top.text.push_str(&text);
                    }
                    None
                }
                Event::CData(text) => {
                    if let Some(top) = stack.last_mut() {
                        top.text.push_str(&String::from_utf8_lossy(&text));
                    }
                    None
                }
                Event::GeneralRef(name) => {
                    let entity = format!("&{};", String::from_utf8_lossy(&name));
                    let resolved = quick_xml::escape::unescape(&entity)
                        .map_err(|e| format!("bad entity {entity}: {e}"))?;
                    if let Some(top) = stack.last_mut() {
                        top.text.push_str(&resolved);
                    }
                    None
                }
                Event::Eof => break,
                _ => None,
            };
            if let Some(mut element) = finished {
                if element.text.trim().is_empty() {
                    element.text.clear();
                }
                match stack.last_mut() {
                    Some(parent) => parent.children.push(element),
                    None if root.is_none() => root = Some(element),
                    None => return Err("more than one root element".into()),
                }
            }
        }
        if !stack.is_empty() {
            return Err(format!("<{}> is never closed", stack[stack.len() - 1].name));
        }
        root.ok_or_else(|| "no element".into())
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

/// The error kept on a running operation (`runningoperation.edit errorxml=`), in the shape
/// ISPsystem's C++ base writes it, so staff see in BILLmanager which module failed, when and
/// why: `<doc><processingmodule date id name><error date type object value>` with the
/// parameters of [`error_document`], an empty `<backtrace/>` and `<log>` (the run's last log lines)
/// `</error></processingmodule></doc>`. `id` and `name` are the processing module's when the
/// run knows them; without a name the element names the binary.
pub fn running_operation_error(
    date: &str,
    id: Option<u64>,
    name: Option<&str>,
    error: &Element,
    log: &str,
) -> Element {
    let mut wrapper = Element::new("processingmodule").attr("date", date);
    if let Some(id) = id {
        wrapper = wrapper.attr("id", id.to_string());
    }
    wrapper = wrapper.attr("name", name.unwrap_or("pmdci6"));
    let errors = error
        .children
        .iter()
        .filter(|c| c.name == "error")
        .map(|e| {
            let value = e
                .children
                .iter()
                .find(|p| p.attr_value("name") == Some("value"))
                .map(|p| p.text.clone())
                .unwrap_or_default();
            let mut detailed = Element::new("error").attr("date", date);
            detailed.attrs.extend(e.attrs.iter().cloned());
            detailed
                .attr("value", value)
                .children(e.children.iter().cloned())
                // The C++ base's C++ backtrace; a Rust module has none to give (the value carries
                // the whole chain of causes), but the element is there for whoever reads it.
                .child(Element::new("backtrace"))
                .child(Element::new("log").text(log))
        });
    Element::new("doc").child(wrapper.children(errors))
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
    fn parse_reads_back_what_write_writes() {
        let xml = "<?xml version=\"1.0\"?>\n<doc a=\"1 &amp; 2\">\n  <x>t&lt;1</x><y/><z><![CDATA[<raw>]]></z>\n</doc>";
        let doc = Element::parse(xml).expect("parsed");
        assert_eq!(
            doc.to_xml(),
            "<doc a=\"1 &amp; 2\"><x>t&lt;1</x><y/><z>&lt;raw&gt;</z></doc>"
        );
        assert_eq!(doc.child_text("x"), Some("t<1"));
        assert_eq!(doc.child_text("y"), None);
        assert_eq!(Element::parse(&doc.to_xml()).expect("again"), doc);
    }

    #[test]
    fn parse_refuses_what_is_not_one_document() {
        assert!(Element::parse("not xml").is_err());
        assert!(Element::parse("<a><b></a>").is_err());
        assert!(Element::parse("<a/><b/>").is_err());
        assert!(Element::parse("<a>").is_err());
    }

    #[test]
    fn running_operation_error_names_the_module_and_carries_the_log() {
        let error = error_document("no_pool", "server srv-1", "no pool");
        let doc = running_operation_error(
            "2026-12-03 08:00:00",
            Some(4),
            Some("DCImanager 6"),
            &error,
            "line 1\nline 2\n",
        );
        assert_eq!(
            doc.to_xml(),
            "<doc><processingmodule date=\"2026-12-03 08:00:00\" id=\"4\" name=\"DCImanager 6\">\
             <error date=\"2026-12-03 08:00:00\" type=\"no_pool\" object=\"server srv-1\" value=\"no pool\">\
             <param name=\"object\" type=\"msg\" msg=\"server srv-1\">server srv-1</param>\
             <param name=\"value\">no pool</param><backtrace/><log>line 1\nline 2\n</log></error>\
             </processingmodule></doc>"
        );
        let anonymous = running_operation_error("d", None, None, &error, "").to_xml();
        assert!(anonymous.starts_with("<doc><processingmodule date=\"d\" name=\"pmdci6\"><error"));
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
