package org.dirkms.it.queue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One entry of what {@code ldapsearch -LLL -o ldif-wrap=no} printed (RFC 2849): its DN and its
 * values, a base64 value ({@code name:: ...}) decoded.
 *
 * @param dn the entry's DN as printed
 * @param values the values by lower-case attribute description (options kept: {@code usercertificate;binary})
 */
public record LdifEntry(String dn, Map<String, List<byte[]>> values) {

    /** The entries of {@code ldif}, unwrapped output of {@code ldapsearch -LLL}. */
    public static List<LdifEntry> parse(String ldif) {
        List<LdifEntry> entries = new ArrayList<>();
        for (String block : ldif.split("\n\\s*\n")) {
            String dn = null;
            Map<String, List<byte[]>> values = new LinkedHashMap<>();
            for (String line : block.split("\n")) {
                int colon = line.indexOf(':');
                if (line.isBlank() || line.startsWith("#") || colon < 0) {
                    continue;
                }
                String name = line.substring(0, colon).toLowerCase(Locale.ROOT);
                boolean base64 = line.startsWith("::", colon);
                String text = line.substring(colon + (base64 ? 2 : 1)).strip();
                byte[] value = base64 ? Base64.getDecoder().decode(text) : text.getBytes(StandardCharsets.UTF_8);
                if (name.equals("dn")) {
                    dn = new String(value, StandardCharsets.UTF_8);
                } else {
                    values.computeIfAbsent(name, n -> new ArrayList<>()).add(value);
                }
            }
            if (dn != null) {
                entries.add(new LdifEntry(dn, values));
            }
        }
        return entries;
    }

    /** The values of {@code attribute} (lower-case description) as text. */
    public List<String> strings(String attribute) {
        return values.getOrDefault(attribute.toLowerCase(Locale.ROOT), List.of()).stream()
                .map(v -> new String(v, StandardCharsets.UTF_8)).toList();
    }

    /** The only value of {@code attribute} as text, or null when it has none. */
    public String string(String attribute) {
        List<String> all = strings(attribute);
        return all.isEmpty() ? null : all.get(0);
    }

    /**
     * The certificates in {@code userCertificate} (asked for as {@code userCertificate;binary},
     * which the server may name either way: RFC 4523 section 2.1).
     */
    public List<X509Certificate> certificates() {
        List<X509Certificate> certificates = new ArrayList<>();
        for (byte[] der : binary("userCertificate")) {
            certificates.add(certificate(der));
        }
        return certificates;
    }

    /** The values of {@code attribute}, with or without the {@code ;binary} option in the name printed. */
    public List<byte[]> binary(String attribute) {
        String name = attribute.toLowerCase(Locale.ROOT);
        List<byte[]> all = new ArrayList<>(values.getOrDefault(name, List.of()));
        all.addAll(values.getOrDefault(name + ";binary", List.of()));
        return all;
    }

    /** {@code der} parsed as an X.509 certificate. */
    static X509Certificate certificate(byte[] der) {
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(der));
        } catch (CertificateException e) {
            throw new AssertionError("not a certificate: " + e.getMessage(), e);
        }
    }
}
