package org.dirkms.agent.ca;

import java.util.Arrays;
import java.util.stream.Collectors;
import org.bouncycastle.asn1.x509.KeyUsage;

/**
 * The key usage bits of RFC 5280 section 4.2.1.3, by the names that section gives them
 * (the values of {@code kmsKeyUsage}).
 */
public enum KeyUsageName {
    /** Verifying signatures other than on certificates and CRLs. */
    DIGITAL_SIGNATURE("digitalSignature", KeyUsage.digitalSignature),
    /** Also called contentCommitment. */
    NON_REPUDIATION("nonRepudiation", KeyUsage.nonRepudiation),
    /** Transporting symmetric keys (RSA only). */
    KEY_ENCIPHERMENT("keyEncipherment", KeyUsage.keyEncipherment),
    /** Enciphering data directly (RSA only). */
    DATA_ENCIPHERMENT("dataEncipherment", KeyUsage.dataEncipherment),
    /** Key agreement (EC only). */
    KEY_AGREEMENT("keyAgreement", KeyUsage.keyAgreement),
    /** Signing certificates. */
    KEY_CERT_SIGN("keyCertSign", KeyUsage.keyCertSign),
    /** Signing CRLs. */
    CRL_SIGN("cRLSign", KeyUsage.cRLSign);

    private final String rfcName;
    private final int bit;

    KeyUsageName(String rfcName, int bit) {
        this.rfcName = rfcName;
        this.bit = bit;
    }

    /** The name RFC 5280 gives the bit. */
    public String rfcName() {
        return rfcName;
    }

    /** The Bouncy Castle mask of the bit. */
    int mask() {
        return bit;
    }

    /** True if a key of this type can perform the usage: RSA cannot agree keys, EC keys cannot encipher. */
    boolean fits(boolean rsaKey) {
        return switch (this) {
            case KEY_ENCIPHERMENT, DATA_ENCIPHERMENT -> rsaKey;
            case KEY_AGREEMENT -> !rsaKey;
            default -> true;
        };
    }

    /** The constant named {@code name}, or null. */
    static KeyUsageName byRfcName(String name) {
        for (KeyUsageName usage : values()) {
            if (usage.rfcName.equals(name)) {
                return usage;
            }
        }
        return null;
    }

    /** Every accepted name, comma-separated. */
    static String names() {
        return Arrays.stream(values()).map(KeyUsageName::rfcName).collect(Collectors.joining(", "));
    }
}
