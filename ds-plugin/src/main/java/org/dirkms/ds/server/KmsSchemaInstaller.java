package org.dirkms.ds.server;

import java.util.List;

import org.apache.directory.api.ldap.model.entry.DefaultEntry;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.name.Dn;
import org.apache.directory.api.ldap.model.schema.SchemaManager;
import org.apache.directory.server.core.api.CoreSession;
import org.dirkms.schema.SchemaForms;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Adds the KMS schema ({@link SchemaForms#apacheDsEntries()}) below {@code ou=schema} through
 * the administrator session, element by element, skipping those already present. ApacheDS's
 * schema subsystem registers each added element at once (and the schema partition keeps it as
 * LDIF, loaded by the schema loader at the next start), so a data folder made by an older
 * version receives the elements a newer version added.
 */
final class KmsSchemaInstaller {

    private static final Logger LOG = LoggerFactory.getLogger(KmsSchemaInstaller.class);

    private KmsSchemaInstaller() {
    }

    /** Adds every missing KMS schema element; returns how many were added. */
    static int installMissing(CoreSession admin, SchemaManager schemaManager) throws LdapException {
        int added = 0;
        for (List<String> lines : SchemaForms.apacheDsEntries()) {
            String dn = lines.get(0).substring("dn: ".length());
            Dn name = new Dn(schemaManager, dn);
            if (admin.exists(name)) {
                continue;
            }
            admin.add(new DefaultEntry(schemaManager, name, lines.subList(1, lines.size()).toArray()));
            added++;
        }
        if (added > 0) {
            LOG.info("Added {} KMS schema elements under ou=schema", added);
        }
        return added;
    }
}
