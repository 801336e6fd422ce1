package org.dirkms.agent.replication;

import java.util.ArrayList;
import java.util.List;
import org.apache.directory.api.ldap.model.entry.Attribute;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.entry.Value;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.ldap.client.api.LdapConnection;

/**
 * Reads a provider's {@code contextCSN}: the operational attribute OpenLDAP's syncprov overlay
 * keeps on the suffix entry, one value per server id (slapo-syncprov(5)). A server that keeps
 * none (ApacheDS, or a database syncprov never wrote) reads as {@link ContextCsn#EMPTY}.
 */
public final class LdapContextCsn {

    /** The attribute, as OpenLDAP names it. */
    public static final String CONTEXT_CSN = "contextCSN";

    private LdapContextCsn() {
    }

    /**
     * The {@code contextCSN} of {@code suffix} over {@code connection}.
     *
     * @throws LdapException if the suffix entry cannot be read
     * @throws IllegalArgumentException if a value is not a CSN
     */
    public static ContextCsn read(LdapConnection connection, String suffix) throws LdapException {
        Entry entry = connection.lookup(suffix, CONTEXT_CSN);
        if (entry == null) {
            throw new LdapException("the suffix entry " + suffix + " cannot be read");
        }
        Attribute attribute = entry.get(CONTEXT_CSN);
        if (attribute == null) {
            return ContextCsn.EMPTY;
        }
        List<String> values = new ArrayList<>();
        for (Value value : attribute) {
            values.add(value.getString());
        }
        return ContextCsn.parse(values);
    }
}
