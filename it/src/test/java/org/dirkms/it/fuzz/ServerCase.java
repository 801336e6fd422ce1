package org.dirkms.it.fuzz;

import java.util.List;
import java.util.Set;

/**
 * One fuzz case for the server.
 *
 * @param who          the identity that sends it
 * @param description  what it is, for the report: never a secret value
 * @param operation    the protocol operation (BER), or null when {@link #rawMessage} is sent
 * @param controls     encoded controls, or null
 * @param rawMessage   a whole LDAPMessage sent as it is (possibly malformed), or null
 * @param allowed      the result codes expected for the input class
 * @param mayClose     whether the server may close the connection (malformed PDUs only)
 * @param sentSecrets  secret values the request carries, which no diagnostic may echo
 * @param check        a further check of the response (e.g. no entry that tells a secret); returns
 *                     a violation or null
 * @param local        when the case ended before anything was sent (a client-side parser refused
 *                     its input): the outcome to count, else null
 * @param localCrash   when that client-side parser threw what it does not document: what, else null
 */
record ServerCase(Who who, String description, byte[] operation, byte[] controls, byte[] rawMessage,
        Set<Integer> allowed, boolean mayClose, List<byte[]> sentSecrets, Check check, String local,
        String localCrash) {

    /** A further check of a response. */
    @FunctionalInterface
    interface Check {
        /** The violation, or null when the response is right. */
        String judge(LdapResponse response);
    }

    static ServerCase of(Who who, String description, byte[] operation, Set<Integer> allowed) {
        return new ServerCase(who, description, operation, null, null, allowed, false, List.of(), null, null, null);
    }

    /** A whole LDAPMessage sent as it is, which the server may answer in any precise way or by closing. */
    static ServerCase raw(Who who, String description, byte[] message, Set<Integer> allowed) {
        return new ServerCase(who, description, null, null, message, allowed, true, List.of(), null, null, null);
    }

    /** A case that ended on the client: {@code outcome} counted, {@code crash} (or null) a crash. */
    static ServerCase local(Who who, String description, String outcome, String crash) {
        return new ServerCase(who, description, null, null, null, Set.of(), false, List.of(), null, outcome, crash);
    }

    ServerCase withSecrets(List<byte[]> secrets) {
        return new ServerCase(who, description, operation, controls, rawMessage, allowed, mayClose, secrets, check,
                local, localCrash);
    }

    ServerCase withControls(byte[] encoded) {
        return new ServerCase(who, description, operation, encoded, rawMessage, allowed, mayClose, sentSecrets, check,
                local, localCrash);
    }

    ServerCase withCheck(Check more) {
        return new ServerCase(who, description, operation, controls, rawMessage, allowed, mayClose, sentSecrets, more,
                local, localCrash);
    }

    /** This case, allowed to end the connection (a malformed or unsupported PDU). */
    ServerCase closing() {
        return new ServerCase(who, description, operation, controls, rawMessage, allowed, true, sentSecrets, check,
                local, localCrash);
    }
}
