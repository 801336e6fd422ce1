package org.dirkms.agent.directory;

import static org.dirkms.schema.AttributeNames.CN;
import static org.dirkms.schema.AttributeNames.OBJECT_CLASS;
import static org.dirkms.schema.AttributeNames.USER_CERTIFICATE;

import java.util.Optional;
import org.apache.directory.api.ldap.model.entry.DefaultAttribute;
import org.apache.directory.api.ldap.model.entry.DefaultEntry;
import org.apache.directory.api.ldap.model.entry.DefaultModification;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.entry.ModificationOperation;
import org.apache.directory.api.ldap.model.exception.LdapEntryAlreadyExistsException;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.dirkms.schema.DirectoryLayout;
import org.dirkms.schema.ObjectClassNames;

/**
 * The key recovery agent's entry, {@code cn=Key Recovery Agent,ou=KMS}
 * ({@link DirectoryLayout#keyRecoveryAgent()}): named as the subject of the recovery
 * certificates, as a CA's entry is named as its certificate's subject, it holds the current
 * recovery certificate in {@code userCertificate;binary} (RFC 4523 {@code pkiUser} on an RFC 4519
 * {@code applicationProcess}), the one every KMS agent wraps new archives to. Standard classes
 * and attributes only: the certificate is public, and a directory without the entry (made before
 * it existed) simply has none published. Written by KMS agents only (the guard's KMS zone).
 */
final class LdapRecoveryAgentEntries {
    private final LdapEntries entries;
    private final DirectoryLayout layout;

    LdapRecoveryAgentEntries(LdapEntries entries, DirectoryLayout layout) {
        this.entries = entries;
        this.layout = layout;
    }

    /** The published current recovery certificate (DER); empty when the entry or its certificate is missing. */
    Optional<byte[]> current() {
        return entries.read(layout.keyRecoveryAgent(), USER_CERTIFICATE + ";binary")
                .map(entry -> LdapEntries.bytes(entry, USER_CERTIFICATE))
                .filter(values -> values.size() == 1)
                .map(values -> values.get(0));
    }

    /** Makes {@code certificate} (DER) the published current recovery certificate, in one write. */
    void publish(byte[] certificate) {
        String dn = layout.keyRecoveryAgent();
        if (entries.read(dn, CN).isPresent()) {
            replace(dn, certificate);
            return;
        }
        try {
            Entry entry = new DefaultEntry(dn);
            entry.add(OBJECT_CLASS, ObjectClassNames.TOP, ObjectClassNames.APPLICATION_PROCESS,
                    ObjectClassNames.PKI_USER);
            entry.add(CN, entry.getDn().getRdn().getValue());
            entry.add(new DefaultAttribute(USER_CERTIFICATE + ";binary", certificate));
            entries.add(entry);
        } catch (LdapEntryAlreadyExistsException e) {
            replace(dn, certificate); // another process made it in between: one value wins, whole
        } catch (LdapException e) {
            throw LdapEntries.failure("publish the key recovery certificate at", dn, e);
        }
    }

    private void replace(String dn, byte[] certificate) {
        entries.modify(dn, new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE,
                new DefaultAttribute(USER_CERTIFICATE + ";binary", certificate)));
    }
}
