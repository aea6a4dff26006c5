//! Tests of `features.rs`, kept apart so the module reads as the code it is.

use super::*;
use crate::protocol::error::ErrorKind;

/// The module description installed beside the binary.
const MODULE_XML: &str = include_str!("../../etc/billmgr_mod_pmdci6.xml");

fn lang_section(lang: &str) -> &'static str {
    let start = MODULE_XML
        .find(&format!("<lang name=\"{lang}\">"))
        .unwrap_or_else(|| panic!("no <lang name=\"{lang}\">"));
    let end = MODULE_XML[start..].find("</lang>").expect("</lang>") + start;
    &MODULE_XML[start..end]
}

#[test]
fn every_error_type_has_a_message_in_both_languages() {
    for lang in ["en", "ru"] {
        let section = lang_section(lang);
        for kind in ErrorKind::ALL {
            let name = format!("name=\"msg_error_{}\"", kind.error_type());
            assert!(section.contains(&name), "{lang}: no message {name}");
        }
    }
}

#[test]
fn every_form_field_is_a_declared_param_with_labels() {
    let form_start = MODULE_XML
        .find("<metadata name=\"processing.edit.pmdci6\"")
        .expect("connection form");
    let form_end = MODULE_XML[form_start..]
        .find("</metadata>")
        .expect("end of form")
        + form_start;
    let form = &MODULE_XML[form_start..form_end];
    let fields: Vec<&str> = form
        .split("<field name=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .collect();
    assert!(!fields.is_empty());
    for field in &fields {
        assert!(
            PARAMS.iter().any(|p| p.name == *field),
            "form field {field} is not a features param"
        );
        for lang in ["en", "ru"] {
            assert!(
                lang_section(lang).contains(&format!("<msg name=\"{field}\">")),
                "{lang}: no label for {field}"
            );
        }
    }
    for param in PARAMS {
        assert!(
            fields.contains(&param.name),
            "param {} has no form field",
            param.name
        );
    }
}

#[test]
fn features_list_every_command_but_features() {
    let xml = document().to_xml();
    for command in COMMANDS.iter().filter(|c| **c != "features") {
        assert!(
            xml.contains(&format!("<feature name=\"{command}\"/>")),
            "{command} missing"
        );
    }
    assert!(!xml.contains("<feature name=\"features\"/>"));
}

/// The elements named `name` anywhere under `element`.
fn all_named<'a>(element: &'a Element, name: &str, found: &mut Vec<&'a Element>) {
    if element.name == name {
        found.push(element);
    }
    for child in &element.children {
        all_named(child, name, found);
    }
}

#[test]
fn module_xml_is_well_formed_with_the_selects_the_tuners_fill() {
    let doc = Element::parse(MODULE_XML).expect("the module XML is well-formed");
    assert_eq!(doc.name, "mgrdata");
    let mut selects = Vec::new();
    all_named(&doc, "select", &mut selects);
    let names: Vec<&str> = selects
        .iter()
        .filter_map(|s| s.attr_value("name"))
        .collect();
    // `location` is filled by tune_connection, `configuration` by pricelist_dynamic_settings_tune.
    assert_eq!(names, ["location", "configuration"]);
    let xml = document().to_xml();
    for feature in [
        "tune_connection",
        "pricelist_dynamic_settings",
        "pricelist_dynamic_settings_tune",
    ] {
        assert!(
            xml.contains(&format!("<feature name=\"{feature}\"/>")),
            "{feature}"
        );
    }
    for lang in ["en", "ru"] {
        let section = lang_section(lang);
        assert!(section.contains("<messages name=\"pricelist.pmdci6\">"));
        assert!(section.contains("<msg name=\"configuration\">"), "{lang}");
    }
}
