//! `pricelist_dynamic_settings_tune --module M --itemtype dedic`: BILLmanager opens a tariff of
//! the module and sends its form on stdin; the answer is the same form with the options of the
//! select `configuration` (`<slist name="configuration">`): `manual` and every configuration of
//! the module's location with its free-server count, read live, the way ISPsystem's own modules
//! fill their tariff selects.
//!
//! Every field of the form comes back as it was sent, the chosen configuration included: a
//! configuration DCImanager no longer has stays chosen and is listed as such, so saving the tariff
//! never switches it to another one silently. When DCImanager cannot be read, the options Config
//! stored last are used (with a warning in the log) so the tariff can still be edited; without
//! them the form cannot be filled and the answer is an error that says to run Config.

use anyhow::{Context, Result};

use super::CommandContext;

use super::get_server_config::{FIELD, location_slist};
use crate::effects::service::{Billing, load_module, module_client};
use crate::protocol::error::{ErrorKind, ModuleError, fail};
use crate::protocol::xml::Element;

pub fn run(ctx: &CommandContext<u64>, form: &str) -> Result<Element> {
    let (root, module_id) = (ctx.root, ctx.target);
    let form = Element::parse(form).map_err(|err| {
        ModuleError::new(
            ErrorKind::Usage,
            "tariff form",
            format!("the tariff form on stdin is not XML: {err}"),
        )
    })?;
    let mut billing = Billing::connect(root)?;
    // A module that is missing, another binary's or badly set up is an error as for Config;
    // only DCImanager itself failing falls back to the stored list.
    let (module, connection) = load_module(&mut billing, module_id)?;
    let live = module_client(root, module.id, &connection)
        .and_then(|client| location_slist(&client, connection.location));
    let options = match live {
        Ok(options) => options,
        Err(live) => {
            let options = stored_options(&mut billing, module_id).with_context(|| {
                format!("the configurations could not be read from DCImanager ({live:#})")
            })?;
            log::warn!(
                "the tariff form of module {module_id} gets the configurations Config stored last: DCImanager could not be read: {live:#}"
            );
            options
        }
    };
    let chosen = form.child_text(FIELD).map(str::to_string);
    let options = with_chosen(options, chosen.as_deref());
    log::info!(
        "tariff form of module {module_id}: {} configuration options{}",
        options.children.len(),
        chosen.map(|c| format!(", {c} chosen")).unwrap_or_default()
    );
    Ok(form.with_slist(options))
}

/// The `slist` Config stored in `processingmodule.config`.
fn stored_options(billing: &mut Billing, module_id: u64) -> Result<Element> {
    let object = format!("processing module {module_id}");
    let Some(config) = billing.db.module_config(module_id)? else {
        return fail(
            ErrorKind::ModuleConfig,
            object,
            format!(
                "no configurations are stored for processing module {module_id}: run Config on the module once DCImanager can be reached"
            ),
        );
    };
    Element::parse(&config)
        .ok()
        .and_then(|doc| {
            doc.children
                .into_iter()
                .find(|c| c.name == "slist" && c.attr_value("name") == Some(FIELD))
        })
        .ok_or_else(|| {
            ModuleError::new(
                ErrorKind::ModuleConfig,
                object,
                format!(
                    "the stored config of processing module {module_id} holds no configurations: run Config on the module"
                ),
            )
            .into()
        })
}

/// `options` with the tariff's current choice among them: one DCImanager no longer lists is
/// added, marked, so the select keeps it.
fn with_chosen(options: Element, chosen: Option<&str>) -> Element {
    let Some(chosen) = chosen else {
        return options;
    };
    let listed = options
        .children
        .iter()
        .any(|msg| msg.attr_value("key") == Some(chosen));
    if listed {
        return options;
    }
    options.child(
        Element::new("msg")
            .attr("key", chosen)
            .text(format!("{chosen} (not in DCImanager now)")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> Element {
        Element::new("slist")
            .attr("name", FIELD)
            .child(Element::new("msg").attr("key", "manual").text("manual"))
    }

    #[test]
    fn a_choice_dcimanager_no_longer_lists_is_kept() {
        let kept = with_chosen(options(), Some("old-label"));
        assert_eq!(
            kept.to_xml(),
            "<slist name=\"configuration\"><msg key=\"manual\">manual</msg>\
             <msg key=\"old-label\">old-label (not in DCImanager now)</msg></slist>"
        );
        assert_eq!(with_chosen(options(), Some("manual")), options());
        assert_eq!(with_chosen(options(), None), options());
    }
}
