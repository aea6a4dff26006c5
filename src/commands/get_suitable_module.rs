//! `get_suitable_module`: BILLmanager asks which of the processing modules selling a tariff
//! should open an order; the answer puts first the modules whose location has a server for it
//! (see [`crate::provision::suitable`] for the order of the answer).
//!
//! The form follows ISPsystem's C++ base of processing modules: stdin is
//! `<doc><item><pricelist>P</pricelist>...</item><skip_modules>3,5</skip_modules></doc>`, the
//! candidates are the active modules of this binary bound to tariff `P`
//! (`processingmodule2pricelist`) minus `skip_modules`, in `orderpriority, ipmgr, id` order, and
//! the answer is `<doc><modules><module id="N"/>...</modules></doc>`. The base reads nothing of
//! the item but its tariff; what else BILLmanager puts under `<item>` is not documented. When it
//! carries `<id>`, the item's add-ons are read too (a `manual` tariff needs them, and so do the
//! IP counts); without it, a `manual` tariff cannot be judged and every candidate is kept in
//! BILLmanager's order. The base's narrowing of candidates to one IPmanager (`ipmgr`) after a
//! skip is left out: pmdci6 takes addresses from DCImanager's pools, never from IPmanager.
//!
//! Each module's location is judged on one paged listing of its DCImanager's servers, by the
//! same seven rules and the same matching as `open`. A module that cannot be judged (DCImanager
//! unreachable or refusing the login, the module misconfigured) is kept: BILLmanager's own choice
//! stands, and the open reports the error if it persists. Nothing is changed anywhere.

use anyhow::{Context, Result};

use super::CommandContext;

use crate::billmgr::mgrctl::text_at;
use crate::billmgr::paths::MgrRoot;
use crate::effects::service::{Billing, MODULE_NAME, load_module, module_client};
use crate::effects::stock::survey;
use crate::protocol::error::{ErrorKind, ModuleError};
use crate::protocol::xml::Element;
use crate::provision::matching::rank;
use crate::provision::order::{Order, Requirement};
use crate::provision::suitable::{ModuleStock, suitable};

/// What BILLmanager asks about.
struct Question {
    tariff: u64,
    item: Option<u64>,
    skip: Vec<u64>,
}

impl Question {
    fn read(input: &str) -> Result<Question> {
        let at = |path: &[&str]| {
            text_at(input, path)
                .context(ModuleError::new(
                    ErrorKind::Usage,
                    "order",
                    "the order on stdin is not XML",
                ))
                .map(|text| text.map(|t| t.trim().to_string()).filter(|t| !t.is_empty()))
        };
        let id = |what: &str, text: &str| {
            text.parse::<u64>().map_err(|_| {
                anyhow::Error::from(ModuleError::new(
                    ErrorKind::Usage,
                    "order",
                    format!("{what} '{text}' on stdin is not an id"),
                ))
            })
        };
        let tariff = at(&["doc", "item", "pricelist"])?.ok_or_else(|| {
            ModuleError::new(
                ErrorKind::Usage,
                "order",
                "the order on stdin has no <doc><item><pricelist>: which tariff is ordered is unknown",
            )
        })?;
        let tariff = id("pricelist", &tariff)?;
        let item = at(&["doc", "item", "id"])?
            .map(|text| id("item id", &text))
            .transpose()?;
        let skip = at(&["doc", "skip_modules"])?
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| id("skip_modules entry", s))
            .collect::<Result<Vec<u64>>>()?;
        Ok(Question { tariff, item, skip })
    }
}

pub fn run(ctx: &CommandContext, input: &str) -> Result<Element> {
    let root = ctx.root;
    let question = Question::read(input)?;
    let mut billing = Billing::connect(root)?;
    let candidates: Vec<u64> = billing
        .db
        .tariff_modules(MODULE_NAME, question.tariff)?
        .into_iter()
        .filter(|id| !question.skip.contains(id))
        .collect();
    let requirement = requirement(&mut billing, &question)?;
    let judged: Vec<(u64, ModuleStock)> = candidates
        .iter()
        .map(|&module| {
            let stock = match &requirement {
                Err(why) => ModuleStock::Unknown(why.clone()),
                Ok(requirement) => judge(root, &mut billing, module, requirement)
                    .unwrap_or_else(|err| ModuleStock::Unknown(format!("{err:#}"))),
            };
            match &stock {
                ModuleStock::Unknown(_) => log::warn!(
                    "get_suitable_module: tariff {}, processing module {module}: {stock}",
                    question.tariff
                ),
                _ => log::info!(
                    "get_suitable_module: tariff {}, processing module {module}: {stock}",
                    question.tariff
                ),
            }
            (module, stock)
        })
        .collect();
    let answer = suitable(&judged);
    log::info!(
        "get_suitable_module: tariff {}: modules {answer:?} of candidates {candidates:?}",
        question.tariff
    );
    Ok(Element::new("doc").child(
        Element::new("modules").children(
            answer
                .into_iter()
                .map(|id| Element::new("module").attr("id", id.to_string())),
        ),
    ))
}

/// The hardware the order wants, or why it cannot be known (every module is then kept).
fn requirement(
    billing: &mut Billing,
    question: &Question,
) -> Result<std::result::Result<Requirement, String>> {
    let tariff = billing.db.pricelist_params(question.tariff)?;
    let configuration = tariff
        .get("configuration")
        .map(String::as_str)
        .unwrap_or("");
    let addons = match question.item {
        Some(item) => billing.db.item_addons(item)?,
        None if configuration
            .trim()
            .eq_ignore_ascii_case(crate::provision::order::MANUAL) =>
        {
            return Ok(Err(format!(
                "tariff {} is built from add-ons and BILLmanager named no item to read them from",
                question.tariff
            )));
        }
        None => Vec::new(),
    };
    let measures = billing.db.measures()?;
    Ok(Order::read(configuration, &addons, &measures)
        .map(|order| order.requirement)
        .map_err(|err| format!("the order of tariff {}: {err}", question.tariff)))
}

/// What the module's location can do for the order, from one listing of its servers.
fn judge(
    root: &MgrRoot,
    billing: &mut Billing,
    module: u64,
    requirement: &Requirement,
) -> Result<ModuleStock> {
    let (_, connection) = load_module(billing, module)?;
    let client = module_client(root, module, &connection)?;
    let survey = survey(&client, connection.location, connection.ignore_errors)?;
    let available = &survey.stock.available;
    let matches = rank(requirement, available, 0).matches.len();
    Ok(if matches > 0 {
        ModuleStock::Match { servers: matches }
    } else if connection.allow_closest && !available.is_empty() {
        ModuleStock::Build
    } else {
        ModuleStock::Nothing
    })
}
