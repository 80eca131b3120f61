/* `npm run gen:schema`: writes harness/results/results.schema.json from the zod results model. */
import { writeFileAtomic } from '../../ground/atomic-write.ts';
import { resultsJsonSchemaText } from './results-json-schema.ts';
import { RESULTS_SCHEMA_FILE } from './results-io.ts';

writeFileAtomic(RESULTS_SCHEMA_FILE, resultsJsonSchemaText());
console.log(`wrote ${RESULTS_SCHEMA_FILE}`);
