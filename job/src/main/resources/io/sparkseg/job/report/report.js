(function(){
  document.querySelectorAll('table.sortable').forEach(function(t){
    t.querySelectorAll('thead th').forEach(function(th,i){
      th.addEventListener('click',function(){
        var rows=Array.prototype.slice.call(t.tBodies[0].rows);var asc=th.dataset.dir!=='asc';th.dataset.dir=asc?'asc':'desc';
        rows.sort(function(a,b){var x=a.cells[i].textContent,y=b.cells[i].textContent,nx=parseFloat(x),ny=parseFloat(y);
          var c=(!isNaN(nx)&&!isNaN(ny))?nx-ny:x.localeCompare(y);return asc?c:-c;});
        rows.forEach(function(r){t.tBodies[0].appendChild(r);});
      });
    });
  });
  document.querySelectorAll('figure img').forEach(function(img){
    img.addEventListener('click',function(){img.parentNode.classList.toggle('big');});
  });
  document.querySelectorAll('select[data-pick]').forEach(function(sel){
    var box=document.getElementById(sel.getAttribute('data-pick'));
    var show=function(){box.querySelectorAll('[data-key]').forEach(function(d){d.hidden=d.getAttribute('data-key')!==sel.value;});};
    sel.addEventListener('change',show);show();
  });
  document.body.setAttribute('data-report-ready',String(document.querySelectorAll('svg.chart').length));
})();
