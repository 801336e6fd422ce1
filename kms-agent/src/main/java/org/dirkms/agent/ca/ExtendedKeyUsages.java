package org.dirkms.agent.ca;

/** The extended key usage OIDs the standard templates use, dotted. */
public final class ExtendedKeyUsages {
    private ExtendedKeyUsages() {
    }

    /** id-kp-serverAuth, RFC 5280 section 4.2.1.12. */
    public static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
    /** id-kp-clientAuth, RFC 5280 section 4.2.1.12. */
    public static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
    /** id-kp-emailProtection, RFC 5280 section 4.2.1.12. */
    public static final String EMAIL_PROTECTION = "1.3.6.1.5.5.7.3.4";
    /** Microsoft szOID_KP_KEY_RECOVERY_AGENT: the certificate of a key recovery agent. */
    public static final String KEY_RECOVERY_AGENT = "1.3.6.1.4.1.311.21.6";
    /** Microsoft szOID_KP_CTL_USAGE_SIGNING: signing certificate trust lists. */
    public static final String TRUST_LIST_SIGNING = "1.3.6.1.4.1.311.10.3.1";
}
