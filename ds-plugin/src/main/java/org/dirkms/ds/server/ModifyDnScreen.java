package org.dirkms.ds.server;

import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.message.ModifyDnRequest;
import org.apache.directory.api.ldap.model.message.ModifyDnResponseImpl;
import org.apache.directory.api.ldap.model.message.ResultCodeEnum;
import org.apache.directory.api.ldap.model.name.Dn;
import org.apache.directory.server.core.api.DirectoryService;
import org.apache.directory.server.ldap.LdapServer;
import org.apache.mina.core.filterchain.IoFilterAdapter;
import org.apache.mina.core.session.IoSession;

/**
 * Answers noSuchObject (32) to a modify DN of a name in no naming context of the directory
 * ({@code cn=x,dc=nowhere}, a bare {@code cn=y}, the root DSE) before ApacheDS 2.0.0.AM27 sees
 * it, because AM27 then locks the whole directory for ever.
 *
 * <p>For a rename or a move (not a move-and-rename), AM27's operation manager takes the
 * directory's write lock, then asks the partition nexus for the entry's partition outside the
 * block that releases the lock; for a name in no partition the nexus throws, and the lock stays
 * taken: every later write waits, then every read behind the waiting writers. One request from a
 * client of any identity — anonymous included, as the KMS guard runs only inside that block —
 * stopped the directory. Found by the fuzz suite ({@code ServerFuzzIT}, an LDIF modrdn of a
 * truncated DN).
 *
 * <p>This MINA filter, right after the LDAP codec of every transport, asks the nexus for the
 * partition first (an in-memory lookup, no lock). A name it cannot even parse with the schema is
 * left to the request's own refusal (invalidDNSyntax).
 */
final class ModifyDnScreen extends IoFilterAdapter {

    /** Name of this filter in each transport's MINA filter chain. */
    static final String FILTER_NAME = "dirkmsModifyDnScreen";

    private final DirectoryService directoryService;

    private ModifyDnScreen(DirectoryService directoryService) {
        this.directoryService = directoryService;
    }

    /** Installs one screen right after the LDAP codec of every transport of a started LDAP server. */
    static void install(LdapServer ldapServer) {
        CodecFilters.installRightAfterCodec(ldapServer, FILTER_NAME, new ModifyDnScreen(ldapServer.getDirectoryService()));
    }

    @Override
    public void messageReceived(NextFilter next, IoSession session, Object message) throws Exception {
        if (message instanceof ModifyDnRequest modifyDn && !inANamingContext(modifyDn.getName())) {
            ModifyDnResponseImpl response = new ModifyDnResponseImpl(modifyDn.getMessageId());
            response.getLdapResult().setResultCode(ResultCodeEnum.NO_SUCH_OBJECT);
            response.getLdapResult().setDiagnosticMessage("'" + modifyDn.getName().getName()
                    + "' is in no naming context of this directory: there is no such entry to rename");
            session.write(response);
            return;
        }
        next.messageReceived(session, message);
    }

    private boolean inANamingContext(Dn name) {
        if (name == null || name.isEmpty()) {
            return false;
        }
        Dn normalized;
        try {
            normalized = new Dn(directoryService.getSchemaManager(), name);
        } catch (LdapException | RuntimeException e) {
            return true; // not a name AM27 can normalize: refused further on, before any lock
        }
        try {
            return directoryService.getPartitionNexus().getPartition(normalized) != null;
        } catch (LdapException e) {
            return false;
        }
    }
}
