package org.dirkms.ds.guard;

import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.server.core.api.interceptor.BaseInterceptor;
import org.apache.directory.server.core.api.interceptor.context.AddOperationContext;
import org.apache.directory.server.core.api.interceptor.context.DeleteOperationContext;
import org.apache.directory.server.core.api.interceptor.context.ModifyOperationContext;
import org.apache.directory.server.core.api.interceptor.context.MoveAndRenameOperationContext;
import org.apache.directory.server.core.api.interceptor.context.MoveOperationContext;
import org.apache.directory.server.core.api.interceptor.context.RenameOperationContext;

/**
 * The first half of the KMS guard on writes: decides whether the caller may make a write
 * ({@link KmsInterceptor#authorize}) before ApacheDS's exception and schema interceptors look
 * at it. Those compare the write with the entry (a value to delete that is not there answers
 * noSuchAttribute, a value to add that is there attributeOrValueExists), so deciding after them
 * would let anyone, anonymous included, learn a password, a token or a group membership from
 * the result code of a write they may not make (RFC 4511 section 4.6 leaves the order to the
 * server; the guard puts authorization first).
 *
 * <p>It goes right after ApacheDS's authentication interceptor (who the caller is is known
 * there); the {@link KmsInterceptor}, after the schema interceptor, judges the values.
 */
public final class AccessCheckInterceptor extends BaseInterceptor {

    /** Name of this interceptor in the chain. */
    public static final String NAME = "kmsAccessCheck";

    private final KmsInterceptor guard;

    /** The access check of {@code guard}, whose policy it applies. */
    AccessCheckInterceptor(KmsInterceptor guard) {
        super(NAME);
        this.guard = guard;
    }

    /** The guard this check belongs to. */
    KmsInterceptor guard() {
        return guard;
    }

    @Override
    public void add(AddOperationContext context) throws LdapException {
        guard.authorize(context);
        next(context);
    }

    @Override
    public void modify(ModifyOperationContext context) throws LdapException {
        guard.authorize(context);
        next(context);
    }

    @Override
    public void delete(DeleteOperationContext context) throws LdapException {
        guard.authorize(context);
        next(context);
    }

    @Override
    public void rename(RenameOperationContext context) throws LdapException {
        guard.authorize(context);
        next(context);
    }

    @Override
    public void move(MoveOperationContext context) throws LdapException {
        guard.authorize(context);
        next(context);
    }

    @Override
    public void moveAndRename(MoveAndRenameOperationContext context) throws LdapException {
        guard.authorize(context);
        next(context);
    }
}
