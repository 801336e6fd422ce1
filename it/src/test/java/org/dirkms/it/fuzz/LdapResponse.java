package org.dirkms.it.fuzz;

import java.util.List;

/**
 * What the server answered to one request: the final response's result code and diagnostic,
 * and every octet it sent for the request (entries, references and the final response), in
 * which the fuzz suite looks for secrets. Two codes are not LDAP's: {@link #TIMEOUT} (no final
 * response within the time allowed) and {@link #CLOSED} (the server closed the connection, or
 * sent a Notice of Disconnection, RFC 4511 section 4.4.1).
 *
 * @param code       the LDAP result code, {@link #TIMEOUT} or {@link #CLOSED}
 * @param diagnostic the diagnosticMessage ("" when none)
 * @param entries    the number of SearchResultEntry messages
 * @param octets     every message received for the request, concatenated
 * @param notice     whether a Notice of Disconnection came (its code is then {@link #code})
 */
record LdapResponse(int code, String diagnostic, int entries, byte[] octets, boolean notice) {
    /** No final response in time. */
    static final int TIMEOUT = -2;
    /** The connection closed before the final response. */
    static final int CLOSED = -1;

    /** A response that never came. */
    static LdapResponse missing(int code) {
        return new LdapResponse(code, "", 0, new byte[0], false);
    }

    /** The result code as the FUZZ line shows it. */
    String label() {
        return code == TIMEOUT ? "timeout" : code == CLOSED ? (notice ? "disconnect-notice" : "closed")
                : Integer.toString(code);
    }

    static LdapResponse of(int code, String diagnostic, int entries, List<byte[]> messages, boolean notice) {
        return new LdapResponse(code, diagnostic, entries, Ber.concat(messages), notice);
    }
}
