//! The `features` answer: what BILLmanager may ask of this module.
//!
//! BILLmanager calls only the features listed here, so the list is derived from the commands the
//! argument parser accepts ([`super::args::COMMANDS`]), and the params from the connection form
//! ([`super::connection::PARAMS`]): nothing is declared that is not implemented.

use super::args::COMMANDS;
use super::connection::PARAMS;
use super::xml::Element;

pub const ITEMTYPE: &str = "dedic";

/// Features that are switches, not commands: `pricelist_dynamic_settings` tells BILLmanager
/// that the tariff form's selects are filled by `pricelist_dynamic_settings_tune`.
pub const SWITCHES: &[&str] = &["pricelist_dynamic_settings"];

pub fn document() -> Element {
    let params = PARAMS.iter().map(|p| {
        let param = Element::new("param").attr("name", p.name);
        if p.crypted {
            param.attr("crypted", "yes")
        } else {
            param
        }
    });
    let features = COMMANDS
        .iter()
        .filter(|name| **name != "features")
        .chain(SWITCHES)
        .map(|name| Element::new("feature").attr("name", *name));
    Element::new("doc")
        .child(Element::new("itemtypes").child(Element::new("itemtype").attr("name", ITEMTYPE)))
        .child(Element::new("params").children(params))
        .child(Element::new("features").children(features))
}

#[cfg(test)]
#[path = "features_tests.rs"]
mod tests;
