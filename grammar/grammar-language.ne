# The hnas grammar language: context-free grammars with optional weights.
#
#   # a comment
#   S     -> unet E2 D2 | unet E3 D3       # first rule's head is the start symbol
#   ENORM -> instance_norm [0.8]
#          | batch_norm [0.2]              # a line starting with '|' continues the rule
#
# Nonterminals start with an upper-case letter, terminals with a lower-case one.
# Positions (line, col) are kept so that later checks can point at the source.

@preprocessor typescript

@{%
import { lexer, snoc } from '../lexers.js';
import type { RawAlt, RawRule, Snoc, SymbolAst } from '../lexers.js';
%}

@lexer lexer

# Lists grow by left recursion into snoc cells (lexers.ts) and are flattened after the parse:
# nearley keeps every intermediate value, so copying arrays (as the :* / :+ macros do) would take
# memory quadratic in the length of a list (110k alternatives needed > 4 GB).
file      -> blanks rules                            {% (d) => d[1] as Snoc<RawRule> | null %}
rules     -> null                                    {% () => null %}
           | rules rule blanks                       {% (d) => snoc(d[0], d[1]) %}
blanks    -> null                                    {% () => null %}
           | blanks %nl                              {% () => null %}
rule      -> %nonterminal %arrow alts %nl            {% (d) => ({ head: d[0].value, line: d[0].line, col: d[0].col, alts: d[2] }) as RawRule %}
alts      -> alt                                     {% (d) => snoc(null, d[0]) %}
           | alts blanks %bar alt                    {% (d) => snoc(d[0], d[3]) %}
alt       -> symbols weight:?                        {% (d) => ({ symbols: d[0], weight: d[1] ?? undefined, line: d[0].first.line, col: d[0].first.col }) as RawAlt %}
symbols   -> symbol                                  {% (d) => snoc(null, d[0]) %}
           | symbols symbol                          {% (d) => snoc(d[0], d[1]) %}
symbol    -> %nonterminal                            {% (d) => ({ kind: 'nonterminal', name: d[0].value, line: d[0].line, col: d[0].col }) as SymbolAst %}
           | %terminal                               {% (d) => ({ kind: 'terminal', name: d[0].value, line: d[0].line, col: d[0].col }) as SymbolAst %}
weight    -> %lbracket %number %rbracket             {% (d) => ({ value: Number(d[1].value), line: d[1].line, col: d[1].col }) %}
