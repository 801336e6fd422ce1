package org.dirkms.agent.ca;

import static org.dirkms.agent.ca.KeyUsageName.DIGITAL_SIGNATURE;
import static org.dirkms.agent.ca.KeyUsageName.KEY_AGREEMENT;
import static org.dirkms.agent.ca.KeyUsageName.KEY_ENCIPHERMENT;
import static org.dirkms.agent.ca.KeyUsageName.NON_REPUDIATION;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.dirkms.schema.KeyAlgorithm;

/**
 * The certificate templates every new CA gets: the certificate types an Exchange-style KMS
 * issues. Their names are the {@code cn} of their entries under {@code ou=Certificate Templates}.
 */
public final class StandardTemplates {
    private StandardTemplates() {
    }

    /** S/MIME signature: digitalSignature, nonRepudiation; emailProtection. */
    public static final String SMIME_SIGNATURE = "smime-signature";
    /** S/MIME encryption: keyEncipherment (RSA) or keyAgreement (EC); emailProtection. */
    public static final String SMIME_ENCRYPTION = "smime-encryption";
    /** Single-key S/MIME, both usages, for clients that hold one key per user. */
    public static final String SMIME_SINGLE_KEY = "smime-single-key";
    /** The key recovery agent's certificate: archived keys are wrapped to it. */
    public static final String KEY_RECOVERY_AGENT = "key-recovery-agent";
    /** The certificate that signs trust lists. */
    public static final String TRUST_LIST_SIGNING = "trust-list-signing";
    /** The LDAP server's TLS certificate, with DNS names and IP addresses. */
    public static final String LDAP_SERVER = "ldap-server";
    /**
     * A subordinate CA of ours running elsewhere ({@code dirkms ca sign}): basicConstraints
     * cA=TRUE, pathLenConstraint 0, keyUsage keyCertSign and cRLSign, five years.
     */
    public static final String SUBORDINATE_CA = "subordinate-ca";
    /** X.509 version 1, no extensions, for old clients. */
    public static final String LEGACY_V1 = "legacy-v1";

    private static final Set<KeyAlgorithm> ALL_ALGORITHMS = EnumSet.allOf(KeyAlgorithm.class);

    /** Every standard template, in the order above. */
    public static List<CertificateTemplate> all() {
        return List.of(
                v3(SMIME_SIGNATURE, 365, EnumSet.of(DIGITAL_SIGNATURE, NON_REPUDIATION),
                        ExtendedKeyUsages.EMAIL_PROTECTION),
                v3(SMIME_ENCRYPTION, 365, EnumSet.of(KEY_ENCIPHERMENT, KEY_AGREEMENT),
                        ExtendedKeyUsages.EMAIL_PROTECTION),
                v3(SMIME_SINGLE_KEY, 365, EnumSet.of(DIGITAL_SIGNATURE, NON_REPUDIATION, KEY_ENCIPHERMENT, KEY_AGREEMENT),
                        ExtendedKeyUsages.EMAIL_PROTECTION),
                v3(KEY_RECOVERY_AGENT, 730, EnumSet.of(KEY_ENCIPHERMENT, KEY_AGREEMENT),
                        ExtendedKeyUsages.KEY_RECOVERY_AGENT),
                v3(TRUST_LIST_SIGNING, 730, EnumSet.of(DIGITAL_SIGNATURE), ExtendedKeyUsages.TRUST_LIST_SIGNING),
                v3(LDAP_SERVER, 397, EnumSet.of(DIGITAL_SIGNATURE, KEY_ENCIPHERMENT), ExtendedKeyUsages.SERVER_AUTH),
                new CertificateTemplate(LEGACY_V1, 1, Set.of(), List.of(), 365, ALL_ALGORITHMS,
                        CertificateTemplate.RSA_FLOOR),
                new CertificateTemplate(SUBORDINATE_CA, 3, EnumSet.of(KeyUsageName.KEY_CERT_SIGN, KeyUsageName.CRL_SIGN),
                        List.of(), 1825, ALL_ALGORITHMS, CertificateTemplate.RSA_FLOOR));
    }

    private static CertificateTemplate v3(String name, int days, Set<KeyUsageName> usages, String eku) {
        return new CertificateTemplate(name, 3, usages, List.of(eku), days, ALL_ALGORITHMS, CertificateTemplate.RSA_FLOOR);
    }
}
