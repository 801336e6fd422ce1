package org.dirkms.agent.directory;

import static org.dirkms.schema.AttributeNames.CAPACITY;
import static org.dirkms.schema.AttributeNames.INSTALLED_TEMPLATE;

import java.util.List;
import org.apache.directory.api.ldap.model.entry.DefaultModification;
import org.apache.directory.api.ldap.model.entry.ModificationOperation;
import org.apache.directory.api.ldap.model.exception.LdapAttributeInUseException;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.exception.LdapNoSuchAttributeException;
import org.apache.directory.ldap.client.api.LdapConnection;

/**
 * What an administrator changes on a CA entry with {@code dirkms ca templates} and
 * {@code dirkms ca capacity}: the templates installed on it ({@code kmsInstalledTemplate}) and how
 * many requests of the queue it may hold claimed at once ({@code kmsCapacity}). Only KMS agents
 * may write these (docs/security.md), so the connection is bound as one.
 *
 * <p>Each change is one modify, which the directory applies whole or not at all (RFC 4511
 * section 4.6): adding several templates of which one is installed meanwhile adds none
 * (attributeOrValueExists), and removing several of which one was removed meanwhile removes none
 * (noSuchAttribute). The caller checks its arguments against a {@link QueueSnapshot} first, to
 * say precisely what is wrong; these results catch a change made in between.
 */
public final class LdapCaSettings {

    private final LdapEntries entries;

    /** Settings written over {@code connection}, bound as a KMS agent. */
    public LdapCaSettings(LdapConnection connection) {
        this.entries = new LdapEntries(connection);
    }

    /**
     * Adds every DN of {@code templateDns} to the {@code kmsInstalledTemplate} of the CA entry
     * {@code caDn}, in one modify.
     *
     * @return false when one of them is installed already (another change came first): nothing was added
     * @throws DirectoryAccessException when the modify fails for another reason
     */
    public boolean installTemplates(String caDn, List<String> templateDns) {
        try {
            entries.modifyOrThrow(caDn, new DefaultModification(ModificationOperation.ADD_ATTRIBUTE,
                    INSTALLED_TEMPLATE, templateDns.toArray(String[]::new)));
            return true;
        } catch (LdapAttributeInUseException e) {
            return false;
        } catch (LdapException e) {
            throw LdapEntries.failure("install templates on", caDn, e);
        }
    }

    /**
     * Removes every DN of {@code templateDns} from the {@code kmsInstalledTemplate} of the CA
     * entry {@code caDn}, in one modify; the directory matches them with distinguishedNameMatch,
     * so any spelling of the installed DN removes it.
     *
     * @return false when one of them is not installed any more (another change came first): nothing was removed
     * @throws DirectoryAccessException when the modify fails for another reason
     */
    public boolean removeTemplates(String caDn, List<String> templateDns) {
        try {
            entries.modifyOrThrow(caDn, new DefaultModification(ModificationOperation.REMOVE_ATTRIBUTE,
                    INSTALLED_TEMPLATE, templateDns.toArray(String[]::new)));
            return true;
        } catch (LdapNoSuchAttributeException e) {
            return false;
        } catch (LdapException e) {
            throw LdapEntries.failure("remove templates from", caDn, e);
        }
    }

    /**
     * Replaces the {@code kmsCapacity} of the CA entry {@code caDn} with {@code capacity}.
     *
     * @throws IllegalArgumentException when {@code capacity} is not positive
     * @throws DirectoryAccessException when the modify fails
     */
    public void setCapacity(String caDn, int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("a CA's capacity is at least 1, not " + capacity);
        }
        entries.modify(caDn, new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, CAPACITY,
                Integer.toString(capacity)));
    }
}
