import { getMetadataStorage } from 'class-validator';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata';

type Storage = ReturnType<typeof getMetadataStorage>;
/** A DTO class, or a schema's name: what class-validator keys its rules by. */
type Target = Parameters<Storage['getTargetValidationMetadatas']>[0];

const keeping = new WeakSet<Storage>();

/**
 * class-validator finds a DTO's rules on every validation by filtering its store and testing
 * every class in it for inheritance, then groups them by field: a third of the time class-validator
 * takes over a create's body, for an answer that changes only when a rule is declared (as a class
 * loads). The store keeps each answer, and its grouping, until the next rule is added. Neither is
 * changed by the validation that reads it.
 */
export function keepRuleLookups(storage: Storage = getMetadataStorage()): void {
  if (keeping.has(storage)) return;
  keeping.add(storage);
  const lookup = storage.getTargetValidationMetadatas.bind(storage);
  const group = storage.groupByPropertyName.bind(storage);
  const add = storage.addValidationMetadata.bind(storage);
  let lookups = new Map<Target, Map<string, ValidationMetadata[]>>();
  let groupings = new WeakMap<ValidationMetadata[], Record<string, ValidationMetadata[]>>();
  storage.addValidationMetadata = (metadata) => {
    lookups = new Map();
    groupings = new WeakMap();
    add(metadata);
  };
  storage.getTargetValidationMetadatas = (target, schema, always, strictGroups, groups) => {
    const key = `${schema}\0${always}\0${strictGroups}\0${groups?.join('\0') ?? ''}`;
    let byOptions = lookups.get(target);
    if (!byOptions) lookups.set(target, (byOptions = new Map<string, ValidationMetadata[]>()));
    let rules = byOptions.get(key);
    if (!rules) byOptions.set(key, (rules = lookup(target, schema, always, strictGroups, groups)));
    return rules;
  };
  storage.groupByPropertyName = (metadata) => {
    let grouped = groupings.get(metadata);
    if (!grouped) groupings.set(metadata, (grouped = group(metadata)));
    return grouped;
  };
}
