package org.dirkms.agent.ca;

import static org.dirkms.schema.AttributeNames.ALLOWED_KEY_ALGORITHM;
import static org.dirkms.schema.AttributeNames.CERTIFICATE_VERSION;
import static org.dirkms.schema.AttributeNames.CN;
import static org.dirkms.schema.AttributeNames.EXTENDED_KEY_USAGE;
import static org.dirkms.schema.AttributeNames.KEY_USAGE;
import static org.dirkms.schema.AttributeNames.MINIMUM_RSA_KEY_SIZE;
import static org.dirkms.schema.AttributeNames.VALIDITY_DAYS;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.dirkms.schema.KeyAlgorithm;
import org.dirkms.schema.LdapEnumeration;

/**
 * What one type of certificate contains and which keys it accepts: the typed, validated form
 * of a {@code kmsCertificateTemplate} entry.
 *
 * <p>Key usages that the subject's key cannot perform are dropped at issuance (RSA keys
 * cannot agree keys, EC keys cannot encipher), so one encryption template gives
 * keyEncipherment to RSA keys and keyAgreement to EC keys (RFC 5480 section 3, RFC 8551
 * section 4.4.2).
 *
 * <p>RSA keys are accepted if any RSA algorithm is allowed and the modulus has at least
 * {@code minimumRsaKeySize} bits; EC keys if their curve is allowed.
 *
 * @param name the template's {@code cn}, which requests name
 * @param version X.509 version of issued certificates: 3, or 1 for legacy clients (no extensions)
 * @param keyUsages the key usage bits (empty for version 1)
 * @param extendedKeyUsages extended key usage OIDs, dotted (empty for version 1)
 * @param validityDays validity of issued certificates, in days (at most the CA's remaining validity)
 * @param allowedKeyAlgorithms key algorithms accepted from requesters
 * @param minimumRsaKeySize smallest RSA modulus accepted, in bits (at least 2048)
 */
public record CertificateTemplate(String name, int version, Set<KeyUsageName> keyUsages,
        List<String> extendedKeyUsages, int validityDays, Set<KeyAlgorithm> allowedKeyAlgorithms,
        int minimumRsaKeySize) {

    /** The smallest RSA modulus any template may accept: RSA below 2048 bits is broken in practice. */
    public static final int RSA_FLOOR = 2048;
    /** The longest validity a template may give, in days (about 30 years). */
    public static final int MAXIMUM_VALIDITY_DAYS = 11_000;

    /** The key usages of a CA template, and of no other. */
    private static final Set<KeyUsageName> CA_USAGES = Set.of(KeyUsageName.KEY_CERT_SIGN, KeyUsageName.CRL_SIGN);

    private static final Pattern OID = Pattern.compile("[0-2](\\.(0|[1-9][0-9]*))+");

    /**
     * Validates the template.
     *
     * @throws InvalidTemplateException naming {@code cn=<name>} and the attribute at fault
     */
    public CertificateTemplate {
        keyUsages = keyUsages.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(keyUsages));
        extendedKeyUsages = List.copyOf(extendedKeyUsages);
        allowedKeyAlgorithms = Set.copyOf(allowedKeyAlgorithms);
        validate("cn=" + name, name, version, keyUsages, extendedKeyUsages, validityDays, allowedKeyAlgorithms,
                minimumRsaKeySize);
    }

    /**
     * Reads a template from the attributes of the directory entry {@code entryDn}, as an LDAP
     * search returns them (attribute names in any case, every value a string).
     *
     * @throws InvalidTemplateException naming {@code entryDn} and the attribute at fault
     */
    public static CertificateTemplate fromEntry(String entryDn, Map<String, List<String>> attributes) {
        Map<String, List<String>> byLowerName = new LinkedHashMap<>();
        attributes.forEach((key, values) -> byLowerName.put(key.toLowerCase(Locale.ROOT), values));
        String name = single(entryDn, byLowerName, CN, null);
        int version = integer(entryDn, byLowerName, CERTIFICATE_VERSION, 3);
        List<KeyUsageName> usages = new ArrayList<>();
        for (String value : multi(byLowerName, KEY_USAGE)) {
            KeyUsageName usage = KeyUsageName.byRfcName(value);
            if (usage == null) {
                throw new InvalidTemplateException(entryDn, KEY_USAGE,
                        "'" + value + "' is not one of: " + KeyUsageName.names());
            }
            usages.add(usage);
        }
        List<String> extendedUsages = multi(byLowerName, EXTENDED_KEY_USAGE);
        int validityDays = integer(entryDn, byLowerName, VALIDITY_DAYS, null);
        Set<KeyAlgorithm> algorithms = EnumSet.noneOf(KeyAlgorithm.class);
        for (String value : multi(byLowerName, ALLOWED_KEY_ALGORITHM)) {
            try {
                algorithms.add(LdapEnumeration.parse(KeyAlgorithm.class, ALLOWED_KEY_ALGORITHM, value));
            } catch (IllegalArgumentException e) {
                throw new InvalidTemplateException(entryDn, ALLOWED_KEY_ALGORITHM,
                        "'" + value + "' is not one of: " + LdapEnumeration.values(KeyAlgorithm.class));
            }
        }
        int minimumRsa = integer(entryDn, byLowerName, MINIMUM_RSA_KEY_SIZE, RSA_FLOOR);
        Set<KeyUsageName> usageSet = usages.isEmpty() ? Set.of() : EnumSet.copyOf(usages);
        validate(entryDn, name, version, usageSet, extendedUsages, validityDays, algorithms, minimumRsa);
        return new CertificateTemplate(name, version, usageSet, extendedUsages, validityDays, algorithms, minimumRsa);
    }

    /**
     * The attributes of this template's directory entry (without {@code objectClass}), every
     * value a string, the inverse of {@link #fromEntry}.
     */
    public Map<String, List<String>> toAttributes() {
        Map<String, List<String>> attributes = new LinkedHashMap<>();
        attributes.put(CN, List.of(name));
        attributes.put(CERTIFICATE_VERSION, List.of(Integer.toString(version)));
        if (!keyUsages.isEmpty()) {
            attributes.put(KEY_USAGE, EnumSet.copyOf(keyUsages).stream().map(KeyUsageName::rfcName).toList());
        }
        if (!extendedKeyUsages.isEmpty()) {
            attributes.put(EXTENDED_KEY_USAGE, extendedKeyUsages);
        }
        attributes.put(VALIDITY_DAYS, List.of(Integer.toString(validityDays)));
        attributes.put(ALLOWED_KEY_ALGORITHM,
                EnumSet.copyOf(allowedKeyAlgorithms).stream().map(KeyAlgorithm::ldapValue).toList());
        attributes.put(MINIMUM_RSA_KEY_SIZE, List.of(Integer.toString(minimumRsaKeySize)));
        return attributes;
    }

    /**
     * True if this template issues certificates of subordinate CAs: its key usages are exactly
     * keyCertSign and cRLSign. Such certificates carry basicConstraints cA=TRUE with a path
     * length of 0 (RFC 5280 section 4.2.1.9): the subordinate issues end-entity certificates only.
     */
    public boolean certifiesCas() {
        return keyUsages.equals(CA_USAGES);
    }

    /** True if certificates from this template protect e-mail (they then need an rfc822Name). */
    public boolean protectsEmail() {
        return extendedKeyUsages.contains(ExtendedKeyUsages.EMAIL_PROTECTION);
    }

    /** True if certificates from this template authenticate TLS servers (they then need a DNS name or IP address). */
    public boolean authenticatesServers() {
        return extendedKeyUsages.contains(ExtendedKeyUsages.SERVER_AUTH);
    }

    private static void validate(String dn, String name, int version, Set<KeyUsageName> usages, List<String> ekus,
            int validityDays, Set<KeyAlgorithm> algorithms, int minimumRsa) {
        if (name == null || name.isBlank()) {
            throw new InvalidTemplateException(dn, CN, "is required");
        }
        if (version != 1 && version != 3) {
            throw new InvalidTemplateException(dn, CERTIFICATE_VERSION, "'" + version + "' is not 1 or 3");
        }
        if (version == 1 && (!usages.isEmpty() || !ekus.isEmpty())) {
            // RFC 5280 section 4.1.2.9: extensions exist only in version 3 certificates.
            throw new InvalidTemplateException(dn, version == 1 && !usages.isEmpty() ? KEY_USAGE : EXTENDED_KEY_USAGE,
                    "must be absent from a version 1 template: version 1 certificates carry no extensions");
        }
        if (version == 3 && usages.isEmpty()) {
            throw new InvalidTemplateException(dn, KEY_USAGE, "needs at least one value in a version 3 template");
        }
        if ((usages.contains(KeyUsageName.KEY_CERT_SIGN) || usages.contains(KeyUsageName.CRL_SIGN))
                && (!usages.equals(CA_USAGES) || !ekus.isEmpty())) {
            // A template either issues end-entity certificates or, with exactly keyCertSign and
            // cRLSign and no extended key usage, certificates of subordinate CAs (RFC 5280
            // section 4.2.1.3 and 4.2.1.9): nothing in between, which clients judge differently.
            throw new InvalidTemplateException(dn, KEY_USAGE, "must not contain keyCertSign or cRLSign, unless it is a"
                    + " CA template: exactly keyCertSign and cRLSign, and no " + EXTENDED_KEY_USAGE);
        }
        for (String eku : ekus) {
            if (!OID.matcher(eku).matches()) {
                throw new InvalidTemplateException(dn, EXTENDED_KEY_USAGE, "'" + eku + "' is not a dotted OID");
            }
        }
        if (validityDays < 1 || validityDays > MAXIMUM_VALIDITY_DAYS) {
            throw new InvalidTemplateException(dn, VALIDITY_DAYS,
                    "'" + validityDays + "' is not between 1 and " + MAXIMUM_VALIDITY_DAYS);
        }
        if (algorithms.isEmpty()) {
            throw new InvalidTemplateException(dn, ALLOWED_KEY_ALGORITHM, "needs at least one value");
        }
        if (minimumRsa < RSA_FLOOR) {
            throw new InvalidTemplateException(dn, MINIMUM_RSA_KEY_SIZE,
                    "'" + minimumRsa + "' is below " + RSA_FLOOR + " bits");
        }
    }

    private static List<String> multi(Map<String, List<String>> attributes, String name) {
        List<String> values = attributes.get(name.toLowerCase(Locale.ROOT));
        return values == null ? List.of() : values;
    }

    private static String single(String dn, Map<String, List<String>> attributes, String name, String fallback) {
        List<String> values = multi(attributes, name);
        if (values.isEmpty()) {
            if (fallback == null) {
                throw new InvalidTemplateException(dn, name, "is required");
            }
            return fallback;
        }
        if (values.size() > 1) {
            throw new InvalidTemplateException(dn, name, "must have one value, not " + values.size());
        }
        return values.get(0);
    }

    private static int integer(String dn, Map<String, List<String>> attributes, String name, Integer fallback) {
        String text = single(dn, attributes, name, fallback == null ? null : fallback.toString());
        try {
            return Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw new InvalidTemplateException(dn, name, "'" + text + "' is not an integer");
        }
    }
}
