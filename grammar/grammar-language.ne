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
import { lexer } from '../lexers.js';
import type { RuleAst, AltAst, SymbolAst } from '../lexers.js';
%}

@lexer lexer

file      -> blank:* (rule blank:*):*                {% (d) => d[1].map((r: any[]) => r[0]) as RuleAst[] %}
blank     -> %nl                                     {% () => null %}
rule      -> %nonterminal %arrow alts %nl            {% (d) => ({ head: d[0].value, line: d[0].line, col: d[0].col, alts: d[2] }) as RuleAst %}
alts      -> alt                                     {% (d) => [d[0]] %}
           | alts %nl:* %bar alt                     {% (d) => [...d[0], d[3]] %}
alt       -> symbol:+ weight:?                       {% (d) => ({ symbols: d[0], weight: d[1] ?? undefined, line: d[0][0].line, col: d[0][0].col }) as AltAst %}
symbol    -> %nonterminal                            {% (d) => ({ kind: 'nonterminal', name: d[0].value, line: d[0].line, col: d[0].col }) as SymbolAst %}
           | %terminal                               {% (d) => ({ kind: 'terminal', name: d[0].value, line: d[0].line, col: d[0].col }) as SymbolAst %}
weight    -> %lbracket %number %rbracket             {% (d) => ({ value: Number(d[1].value), line: d[1].line, col: d[1].col }) %}
