package org.dirkms.ds.server;

import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.exception.LdapNoSuchObjectException;
import org.apache.directory.api.ldap.model.name.Dn;
import org.apache.directory.server.core.api.interceptor.BaseInterceptor;
import org.apache.directory.server.core.api.interceptor.context.MoveAndRenameOperationContext;
import org.apache.directory.server.core.api.interceptor.context.MoveOperationContext;

/**
 * Refuses a move (a modify DN with a new superior, RFC 4511 section 4.9) under an entry that
 * does not exist with noSuchObject (32). ApacheDS 2.0.0.AM27 does not look for the new superior,
 * and its JDBM partition fails on the missing parent with operationsError (1) and a
 * NullPointerException's message ("Cannot read field "value" because "anotherString" is null").
 * Found by the fuzz suite ({@code ServerFuzzIT}).
 *
 * <p>It sits after the KMS guard, so a client the guard refuses learns nothing of which entries
 * exist.
 */
final class NewSuperiorInterceptor extends BaseInterceptor {

    /** Name of this interceptor in the chain. */
    static final String NAME = "dirkmsNewSuperior";

    NewSuperiorInterceptor() {
        super(NAME);
    }

    @Override
    public void move(MoveOperationContext context) throws LdapException {
        requireExisting(context.getNewSuperior());
        next(context);
    }

    @Override
    public void moveAndRename(MoveAndRenameOperationContext context) throws LdapException {
        requireExisting(context.getNewSuperiorDn());
        next(context);
    }

    private void requireExisting(Dn newSuperior) throws LdapException {
        if (newSuperior == null || newSuperior.isEmpty()) {
            return;
        }
        // Through the server's own session and the operation manager, which open a read
        // transaction beside this operation's write transaction; the partition nexus called
        // directly, without one, waits for this very operation's lock.
        if (!directoryService.getAdminSession().exists(newSuperior)) {
            throw new LdapNoSuchObjectException("the new superior " + newSuperior.getName()
                    + " does not exist; create it first or move the entry under an existing one");
        }
    }
}
