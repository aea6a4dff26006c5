//! Just enough XML reading for the tests: every element with its attributes and text, in
//! document order, and a failure for anything that is not well-formed.

use quick_xml::events::Event;

#[derive(Debug, Clone)]
pub struct El {
    pub name: String,
    pub path: String,
    pub attrs: Vec<(String, String)>,
    pub text: String,
}

impl El {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

pub fn elements(xml: &str) -> Result<Vec<El>, String> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut out: Vec<El> = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    let mut roots = 0;
    loop {
        match reader
            .read_event()
            .map_err(|e| format!("not well-formed XML: {e}"))?
        {
            Event::Start(e) => {
                if open.is_empty() {
                    roots += 1;
                }
                out.push(element(&e, &open, &out)?);
                open.push(out.len() - 1);
            }
            Event::Empty(e) => {
                if open.is_empty() {
                    roots += 1;
                }
                out.push(element(&e, &open, &out)?);
            }
            Event::End(_) => {
                open.pop();
            }
            Event::Text(t) => {
                if let Some(&i) = open.last() {
                    out[i]
                        .text
                        .push_str(&t.xml_content().map_err(|e| e.to_string())?);
                }
            }
            Event::GeneralRef(r) => {
                if let Some(&i) = open.last() {
                    let entity = format!("&{};", String::from_utf8_lossy(&r));
                    out[i].text.push_str(
                        &quick_xml::escape::unescape(&entity).map_err(|e| e.to_string())?,
                    );
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !open.is_empty() {
        return Err("unclosed elements".into());
    }
    if roots != 1 {
        return Err(format!("{roots} root elements"));
    }
    Ok(out)
}

fn element(e: &quick_xml::events::BytesStart, open: &[usize], out: &[El]) -> Result<El, String> {
    let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
    let parent = open
        .last()
        .map(|&i| out[i].path.clone())
        .unwrap_or_default();
    let attrs = e
        .attributes()
        .map(|a| {
            let a = a.map_err(|e| e.to_string())?;
            let value = a.unescape_value().map_err(|e| e.to_string())?.into_owned();
            Ok((String::from_utf8_lossy(a.key.as_ref()).into_owned(), value))
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(El {
        path: format!("{parent}/{name}"),
        name,
        attrs,
        text: String::new(),
    })
}
