# The bracketed form of derivation trees: `(S unet (E2 conv_encoder (ENORM instance_norm) ...) ...)`.
# A node is '(' its nonterminal, then its children: bare names (terminals) and nested nodes.

@preprocessor typescript

@{%
import { snoc, treeLexer } from '../lexers.js';
import type { RawTreeNode } from '../lexers.js';
%}

@lexer treeLexer

# Children grow into snoc cells, flattened after the parse (see grammar-language.ne).
tree      -> node                                    {% id %}
node      -> %lparen %name children %rparen          {% (d) => ({ symbol: d[1].value, children: d[2] }) as RawTreeNode %}
children  -> null                                    {% () => null %}
           | children child                          {% (d) => snoc(d[0], d[1]) %}
child     -> %name                                   {% (d) => d[0].value as string %}
           | node                                    {% id %}
