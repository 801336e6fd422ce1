package org.dirkms.agent.ca;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * What the enterprise CA puts into a cross-certificate for a partner's root, beyond the partner
 * root's own subject and key ({@link CertificationAuthority#crossCertify}).
 *
 * @param pathLength the basicConstraints pathLenConstraint (RFC 5280 section 4.2.1.9): how many
 *        CA certificates may follow the partner root in a path through this cross-certificate
 *        (0: the partner root issues to end entities only)
 * @param permittedDnsDomains dNSName permitted subtrees (RFC 5280 section 4.2.1.10), e.g.
 *        {@code partner.example}; empty for none
 * @param permittedEmailDomains rfc822Name permitted subtrees: a host ({@code partner.example},
 *        every mailbox there) or a domain with a leading period ({@code .partner.example}, every
 *        host below it); empty for none
 * @param validity how long the cross-certificate is valid at most; it also ends no later than
 *        the partner root and the CA's own certificate
 */
public record CrossCertificatePolicy(int pathLength, List<String> permittedDnsDomains,
        List<String> permittedEmailDomains, Duration validity) {

    /** The validity of a cross-certificate when none is asked for. */
    public static final Duration DEFAULT_VALIDITY = Duration.ofDays(365);

    /**
     * Checks the values and copies the lists, the domains lower-cased.
     *
     * @throws IllegalArgumentException with a message naming the value at fault
     */
    public CrossCertificatePolicy {
        if (pathLength < 0) {
            throw new IllegalArgumentException("the path length of a cross-certificate is 0 or more, not " + pathLength);
        }
        if (validity == null || validity.isNegative() || validity.isZero()) {
            throw new IllegalArgumentException("the validity of a cross-certificate must be positive");
        }
        permittedDnsDomains = domains(permittedDnsDomains, false);
        permittedEmailDomains = domains(permittedEmailDomains, true);
    }

    /** Whether the cross-certificate carries name constraints. */
    public boolean constrainsNames() {
        return !permittedDnsDomains.isEmpty() || !permittedEmailDomains.isEmpty();
    }

    private static List<String> domains(List<String> values, boolean email) {
        for (String value : values) {
            String host = value.startsWith(".") ? value.substring(1) : value;
            if (!host.matches("[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*")) {
                throw new IllegalArgumentException("'" + value + "' is not a domain name" + (email
                        ? " (an e-mail constraint is a host such as partner.example, or .partner.example for the hosts"
                                + " below it; RFC 5280 section 4.2.1.10)" : ""));
            }
            if (!email && value.startsWith(".")) {
                throw new IllegalArgumentException("'" + value + "': a DNS name constraint is written without a leading"
                        + " period (partner.example covers its subdomains too; RFC 5280 section 4.2.1.10)");
            }
        }
        return values.stream().map(v -> v.toLowerCase(Locale.ROOT)).distinct().toList();
    }
}
