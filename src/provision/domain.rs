//! The domain of a server whose order names none: the tariff's template `freedomain`, filled as
//! ISPsystem's own library fills it (`@USERNAME@` the customer's login up to any `@`, `@TYPE@`
//! the product type, `@ID@` the service id), so the server gets the name the provider chose for
//! the tariff rather than whatever DCImanager had.

/// The template filled in, lower-cased; `None` when it is empty or the result is not a host name
/// DCImanager can install with (a login with spaces, a placeholder this version does not know),
/// in which case the caller keeps the server's own domain.
pub fn from_template(template: &str, login: &str, itemtype: &str, item: u64) -> Option<String> {
    let user = login.trim().split('@').next().unwrap_or_default();
    let domain = template
        .trim()
        .replace("@USERNAME@", user)
        .replace("@TYPE@", itemtype)
        .replace("@ID@", &item.to_string())
        .to_ascii_lowercase();
    is_host_name(&domain).then_some(domain)
}

/// Letters, digits and hyphens in dot-separated labels of 1 to 63 characters, no label starting
/// or ending with a hyphen, 253 characters at most (RFC 1123).
fn is_host_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_like_isp_system_s_library() {
        assert_eq!(
            from_template(
                "@USERNAME@-@TYPE@-@ID@.example.com",
                " Alice@mail.example ",
                "dedic",
                42
            ),
            Some("alice-dedic-42.example.com".into())
        );
        assert_eq!(
            from_template("srv@ID@.hosting.example", "bob", "dedic", 7),
            Some("srv7.hosting.example".into())
        );
    }

    #[test]
    fn results_that_are_no_host_name_are_refused() {
        assert_eq!(from_template("", "bob", "dedic", 1), None);
        assert_eq!(
            from_template("@USERNAME@.example.com", "Ivan Petrov", "dedic", 1),
            None
        );
        assert_eq!(
            from_template("@LOGIN@.example.com", "bob", "dedic", 1),
            None
        );
        assert_eq!(from_template("-@ID@.example.com", "bob", "dedic", 1), None);
        assert_eq!(from_template("a..example.com", "bob", "dedic", 1), None);
        assert_eq!(from_template(&"a".repeat(64), "bob", "dedic", 1), None);
    }
}
