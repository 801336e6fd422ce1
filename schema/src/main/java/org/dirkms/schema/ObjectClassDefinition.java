package org.dirkms.schema;

import java.util.List;

/**
 * One object class of the KMS schema.
 *
 * @param oid         numeric OID under {@link KmsSchema#OID_ARC}
 * @param name        the one name of the class
 * @param description what an entry of this class is
 * @param kind        STRUCTURAL, AUXILIARY or ABSTRACT
 * @param superior    the superior class
 * @param must        required attribute names
 * @param may         allowed attribute names
 */
public record ObjectClassDefinition(String oid, String name, String description, Kind kind,
        String superior, List<String> must, List<String> may) {

    /** RFC 4512 section 2.4.1 kinds. */
    public enum Kind {
        /** May be the structural class of an entry. */
        STRUCTURAL,
        /** Adds attributes to entries of any structural class. */
        AUXILIARY,
        /** Only a superior of other classes. */
        ABSTRACT
    }

    /** Copies the lists so that a definition cannot change once built. */
    public ObjectClassDefinition {
        must = List.copyOf(must);
        may = List.copyOf(may);
    }
}
